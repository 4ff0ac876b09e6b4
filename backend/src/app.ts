import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Knex } from 'knex';
import type { Clock } from './clock.js';
import type { Logger } from './log/logger.js';
import { apiNotFound, errorHandler } from './http/error-handler.js';
import { assignRequestId, logRequests } from './http/request-context.js';
import { spaRoutes } from './http/spa.js';
import { healthRoutes } from './health/routes.js';

export interface AppDeps {
  db: Knex;
  logger: Logger;
  clock: Clock;
  jsonBodyLimit: string;
  staticDir?: string | undefined;
  trustProxy?: 'none' | 'loopback';
  /** Extra API routers mounted under /api, before the 404 fallback (tests add failing routes here). */
  extraApiRoutes?: express.Router[];
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind nginx the client address arrives in X-Forwarded-For; trust only the local proxy.
  app.set('trust proxy', deps.trustProxy === 'none' ? false : 'loopback');
  app.use(assignRequestId);
  app.use(logRequests(deps.logger, deps.clock));
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          'frame-ancestors': ["'none'"],
          'form-action': ["'self'"],
          'object-src': ["'none'"],
          'base-uri': ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );

  const api = express.Router();
  api.use(express.json({ limit: deps.jsonBodyLimit }));
  api.use(healthRoutes(deps.db));
  for (const router of deps.extraApiRoutes ?? []) api.use(router);
  api.use(apiNotFound);
  app.use('/api', api);

  if (deps.staticDir) app.use(spaRoutes(deps.staticDir));
  app.use(errorHandler(deps.logger));
  return app;
}
