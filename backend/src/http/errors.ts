/** Typed errors with a stable `code`; the error middleware is the only place that turns them into JSON. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
    /** A machine-readable detail (e.g. which password rule), so clients can explain in their language. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends HttpError {
  constructor(message: string, field?: string, code = 'invalid_input', reason?: string) {
    super(400, code, message, field, {}, reason);
  }
}

export class Unauthorized extends HttpError {
  constructor(code = 'unauthenticated', message = 'Please sign in.') {
    super(401, code, message);
  }
}

export class Forbidden extends HttpError {
  constructor(code = 'forbidden', message = 'You do not have the right to do this.') {
    super(403, code, message);
  }
}

export class NotFound extends HttpError {
  constructor(message = 'Not found.') {
    super(404, 'not_found', message);
  }
}

export class Conflict extends HttpError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

export class TooLarge extends HttpError {
  constructor(message = 'The request body is too large.') {
    super(413, 'payload_too_large', message);
  }
}

export class UnsupportedMediaType extends HttpError {
  constructor(message = 'This content type is not accepted here.') {
    super(415, 'unsupported_media_type', message);
  }
}

export class TooManyRequests extends HttpError {
  constructor(retryAfterSeconds: number) {
    super(429, 'too_many_requests', 'Too many attempts. Please wait and try again.', undefined, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}

export class Busy extends HttpError {
  constructor(message = 'The server is busy. Please try again in a moment.') {
    super(503, 'busy', message, undefined, { 'Retry-After': '1' });
  }
}

export class DatabaseUnavailable extends HttpError {
  constructor() {
    super(503, 'database_unavailable', 'The database cannot be reached right now. Please try again in a moment.', undefined, { 'Retry-After': '5' });
  }
}
