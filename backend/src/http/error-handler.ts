import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import type { Logger } from '../log/logger.js';
import { HttpError, Invalid, NotFound, TooLarge, UnsupportedMediaType } from './errors.js';

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Errors thrown by express.json() and friends, mapped onto our typed errors. */
function fromBodyParser(err: BodyParserError): HttpError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return new TooLarge();
    case 'entity.parse.failed':
      return new Invalid('The request body is not valid JSON.', undefined, 'invalid_json');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new UnsupportedMediaType('This character set or encoding is not accepted.');
    default:
      return undefined;
  }
}

function fromZod(err: ZodError): Invalid {
  const issue = err.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : undefined;
  return new Invalid(issue ? `${field ?? 'body'}: ${issue.message}` : 'Invalid input.', field);
}

/** Stack frames without the message line: messages can carry SQL values or user input. */
function framesOnly(stack: string | undefined): string | undefined {
  return stack?.split('\n').slice(1).join('\n');
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let known: HttpError | undefined;
    if (err instanceof HttpError) known = err;
    else if (err instanceof ZodError) known = fromZod(err);
    else if (typeof err === 'object' && err !== null) known = fromBodyParser(err);

    if (!known) {
      const e = err instanceof Error ? err : new Error('non-error thrown');
      logger.error(
        { requestId: req.requestId, errName: e.name, pgCode: (e as { code?: unknown }).code, frames: framesOnly(e.stack) },
        'unhandled error',
      );
      res.status(500).json({ error: { code: 'internal_error', message: 'Something went wrong on our side. Please try again; if it keeps happening, tell your administrator the time it happened.' } });
      return;
    }
    res.set(known.headers);
    const body: { code: string; message: string; field?: string; reason?: string } = { code: known.code, message: known.message };
    if (known.field) body.field = known.field;
    if (known.reason) body.reason = known.reason;
    res.status(known.status).json({ error: body });
  };
}

export const apiNotFound: RequestHandler = (_req, _res, next) => {
  next(new NotFound('There is no such API route.'));
};
