import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import type { Logger } from '../log/logger.js';
import { errorFields } from '../log/error-fields.js';
import { HttpError } from './errors.js';
import { CATALOGUE, expressRefusal, fail, fromZodIssue } from './error-catalogue.js';

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Errors thrown by express.json() and friends, mapped onto our typed errors. */
function fromBodyParser(err: BodyParserError): HttpError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return fail('payload_too_large', { reason: 'body' });
    case 'entity.parse.failed':
      return fail('invalid_json');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return fail('unsupported_media_type', { reason: 'charset' });
    default:
      // Other client errors of Express and its middleware (a bad `%` escape in a static path): a 4xx, never a 500.
      if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
        return expressRefusal(err.status);
      }
      return undefined;
  }
}


/** Socket errors of the driver, and SQLSTATEs of a server that is going away or not accepting connections. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300']);
/** pg's texts for a socket that died; knex prefixes them with the statement (`BEGIN; - Connection terminated…`). */
const CONNECTION_LOST = /(^|- )(Connection terminated|Client has encountered a connection error|Connection ended)/;

/** The database is unreachable (not a bug): the pool reconnects by itself, so the client may retry. */
function isDatabaseUnavailable(err: object): boolean {
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof e.code === 'string' && (UNREACHABLE.has(e.code) || e.code.startsWith('08'))) return true;
  // knex: no connection could be acquired in time; pg: the socket went away mid-query.
  if (e.name === 'KnexTimeoutError') return true;
  return typeof e.message === 'string' && CONNECTION_LOST.test(e.message);
}

/**
 * The typed error an exception stands for: ours, a schema's, a body parser's, an unreachable
 * database (logged as a warning); undefined for anything else — a bug, logged at error level with
 * the request id and never sent to the client.
 */
export function knownError(err: unknown, logger: Logger, requestId: string | undefined): HttpError | undefined {
  let known: HttpError | undefined;
  if (err instanceof HttpError) known = err;
  else if (err instanceof ZodError) known = fromZodIssue(err.issues[0]);
  else if (typeof err === 'object' && err !== null) known = fromBodyParser(err);

  if (!known && typeof err === 'object' && err !== null && isDatabaseUnavailable(err)) {
    logger.warn({ requestId, ...errorFields(err) }, 'database unavailable');
    known = fail('database_unavailable');
  }
  if (!known) logger.error({ requestId, ...errorFields(err) }, 'unhandled error');
  return known;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = knownError(err, logger, req.requestId);
    if (!known) {
      res.status(500).json({ error: { code: 'internal_error', message: CATALOGUE.internal_error.message } });
      return;
    }
    res.set(known.headers);
    const body: { code: string; message: string; field?: string; reason?: string; params?: Record<string, string | number> } = { code: known.code, message: known.message };
    if (known.field) body.field = known.field;
    if (known.reason) body.reason = known.reason;
    if (known.params) body.params = known.params;
    res.status(known.status).json({ error: body });
  };
}

export const apiNotFound: RequestHandler = (_req, _res, next) => {
  next(fail('not_found', { reason: 'route' }));
};
