import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../clock.js';

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
  }
}

export const assignRequestId: RequestHandler = (req, res, next) => {
  req.requestId = randomUUID();
  res.set('X-Request-Id', req.requestId);
  next();
};

/** One line per request with the route pattern, never the raw URL: paths and queries may carry input. */
export function logRequests(logger: Logger, clock: Clock): RequestHandler {
  return (req, res, next) => {
    const started = clock.now().getTime();
    res.on('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : '(no route)';
      logger.info(
        { requestId: req.requestId, method: req.method, route, status: res.statusCode, ms: clock.now().getTime() - started },
        'request',
      );
    });
    next();
  };
}
