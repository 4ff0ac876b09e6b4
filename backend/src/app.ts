import express, { type Express } from 'express';
import { loadConfig } from './config.js';
import { buildServices, type ServiceDeps } from './wiring.js';
import type { PasswordHasher } from './auth/password-hasher.js';
import type { SecondFactor } from './auth/second-factor.js';
import type { JobQueues } from './jobs/job-queue.js';
import type { AuthService } from './auth/auth-service.js';
import { createGuard } from './auth/guard.js';
import { authRoutes } from './auth/routes.js';
import type { ThrottleOptions } from './auth/throttle.js';
import { apiNotFound, errorHandler } from './http/error-handler.js';
import { assignRequestId, logRequests } from './http/request-context.js';
import { RouteTable } from './http/route-table.js';
import { requireSameOrigin } from './http/same-origin.js';
import { rejectUnstorableText } from './http/params.js';
import { spaRoutes } from './http/spa.js';
import { securityHeaders } from './http/security-headers.js';
import { healthRoutes } from './health/routes.js';
import { auditRoutes } from './audit/routes.js';
import type { ShippingHealth } from './audit/syslog-shipper.js';
import { platformRoutes } from './tenancy/routes.js';
import { settingsRoutes } from './tenancy/settings-routes.js';
import { departmentRoutes } from './departments/routes.js';
import { containerRoutes } from './containers/routes.js';
import type { ImportQueue } from './imports/import-queue.js';
import { userRoutes } from './users/routes.js';
import type { CalculationQueue } from './calculations/calculation-queue.js';
import { calculationRoutes } from './calculations/routes.js';
import type { DirectoryService } from './directory/directory-service.js';
import { directoryRoutes, oidcNavigationRefusals } from './directory/routes.js';
import type { Passkeys } from './auth/passkeys/passkeys.js';
import { passkeyRoutes } from './auth/passkeys/routes.js';
import { approvalRoutes } from './approvals/routes.js';
import { recertificationRoutes } from './recertification/routes.js';
import { accessRoutes } from './access/routes.js';

export interface AppDeps extends ServiceDeps {
  jsonBodyLimit: string;
  staticDir?: string | undefined;
  /** Whose X-Forwarded-For to believe: nobody, a proxy on this host, or one on a private network (compose). */
  trustProxy?: 'none' | 'loopback' | 'uniquelocal';
  throttles?: { login: ThrottleOptions; recovery: ThrottleOptions };
  /** Who sends the security headers: the app (no proxy in front) or nginx ('proxy'), never both. */
  securityHeaders?: 'app' | 'proxy';
  /** The syslog shipper, whose lag /api/health reports. */
  auditShipping?: { health(): ShippingHealth | null };
  /** Extra API routers mounted under /api, before the 404 fallback (tests add failing routes here). */
  extraApiRoutes?: express.Router[];
}

export interface Kontor {
  app: Express;
  imports: ImportQueue;
  calculations: CalculationQueue;
  /** The PostgreSQL job queue both run on: start() after createApp, stop() before closing the database. */
  jobs: JobQueues;
  secondFactor: SecondFactor;
  auth: AuthService;
  routes: RouteTable;
  hasher: PasswordHasher;
  directory: DirectoryService;
  passkeys: Passkeys;
}

export function createApp(deps: AppDeps): Kontor {
  const s = buildServices(deps);
  const routes = new RouteTable(createGuard({ db: deps.db, tokens: s.tokens, clock: deps.clock, vendorPasskeyRequired: deps.vendorPasskeyRequired ?? false }));
  const throttles = deps.throttles ?? loadConfig({}).throttles;
  healthRoutes(routes, deps.db, deps.auditShipping);
  authRoutes(routes, s.auth, { loginThrottle: throttles.login, recoveryThrottle: throttles.recovery, db: deps.db, hmacKey: deps.hmacKey });
  directoryRoutes(routes, s.directory, { loginThrottle: throttles.login, clock: deps.clock, db: deps.db, hmacKey: deps.hmacKey });
  passkeyRoutes(routes, s.passkeys);
  approvalRoutes(routes, s.fourEyes);
  departmentRoutes(routes, s.departments);
  userRoutes(routes, s.users);
  recertificationRoutes(routes, s.recertification);
  platformRoutes(routes, s.platform);
  auditRoutes(routes, s.audit);
  accessRoutes(routes, s.access);
  settingsRoutes(routes, s.settings);
  calculationRoutes(routes, s.calculations);
  containerRoutes(routes, s.containers);

  const app = express();
  app.disable('x-powered-by');
  // Behind nginx the client address arrives in X-Forwarded-For; trust only the local proxy.
  app.set('trust proxy', deps.trustProxy === 'none' ? false : (deps.trustProxy ?? 'loopback'));
  app.use(assignRequestId);
  app.use(logRequests(deps.logger, deps.clock));
  // One owner per security header: nginx in production (SECURITY_HEADERS=proxy), else the app.
  if ((deps.securityHeaders ?? 'app') === 'app') app.use(securityHeaders());

  const api = express.Router();
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  api.use(requireSameOrigin);
  // Import uploads are streamed to disk by their route, whatever they claim to be; never parsed here.
  const json = express.json({ limit: deps.jsonBodyLimit });
  api.use((req, res, next) => (/^\/containers\/[^/]+\/imports\//.test(req.path) ? next() : json(req, res, next)));
  api.use(rejectUnstorableText);
  api.use(routes.router);
  api.use(oidcNavigationRefusals(deps.logger));
  for (const router of deps.extraApiRoutes ?? []) api.use(router);
  api.use(apiNotFound);
  app.use('/api', api);

  if (deps.staticDir) app.use(spaRoutes(deps.staticDir));
  app.use(errorHandler(deps.logger));
  return { app, auth: s.auth, routes, hasher: s.hasher, imports: s.imports, calculations: s.calculationQueue, jobs: s.jobs, secondFactor: s.secondFactor, directory: s.directory, passkeys: s.passkeys };
}
