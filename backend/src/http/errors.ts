/**
 * The error the middleware turns into JSON. Throw sites never build one themselves: they call
 * `fail(code, …)` of error-catalogue.ts, where every code lives once with its status and message.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
    /** A machine-readable detail (e.g. which password rule), so clients can explain in their language. */
    readonly reason?: string,
    /** The values the message is made of, so clients can say it in their language. */
    readonly params?: Record<string, string | number>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
