import os from 'node:os';
import path from 'node:path';
import express, { type Express } from 'express';
import type { Knex } from 'knex';
import type { Clock } from './clock.js';
import { loadConfig } from './config.js';
import type { Logger } from './log/logger.js';
import type { Mailer } from './mail/mailer.js';
import { AuthService } from './auth/auth-service.js';
import { createGuard } from './auth/guard.js';
import { PasswordHasher } from './auth/password-hasher.js';
import { authRoutes } from './auth/routes.js';
import { SessionTokens } from './auth/session-token.js';
import { SecondFactor } from './auth/second-factor.js';
import type { ThrottleOptions } from './auth/throttle.js';
import { apiNotFound, errorHandler } from './http/error-handler.js';
import { assignRequestId, logRequests } from './http/request-context.js';
import { RouteTable } from './http/route-table.js';
import { requireSameOrigin } from './http/same-origin.js';
import { rejectUnstorableText } from './http/params.js';
import { spaRoutes } from './http/spa.js';
import { securityHeaders } from './http/security-headers.js';
import { healthRoutes } from './health/routes.js';
import { AuditService } from './audit/audit-service.js';
import { auditRoutes } from './audit/routes.js';
import type { CheckpointService } from './audit/checkpoints.js';
import type { ShippingHealth } from './audit/syslog-shipper.js';
import { PlatformService } from './tenancy/platform-service.js';
import { platformRoutes } from './tenancy/routes.js';
import { settingsRoutes } from './tenancy/settings-routes.js';
import { SettingsService } from './tenancy/settings-service.js';
import { UsersService } from './users/users-service.js';
import { ContainersService } from './containers/containers-service.js';
import { containerRoutes } from './containers/routes.js';
import type { UploadLimits } from './containers/upload-slots.js';
import { ImportQueue } from './imports/import-queue.js';
import { JobQueues, type JobQueuesOptions } from './jobs/job-queue.js';
import { connectionConfig } from './db/connection.js';
import { userRoutes } from './users/routes.js';
import { CalculationQueue } from './calculations/calculation-queue.js';
import { CalculationsService } from './calculations/calculations-service.js';
import { calculationRoutes } from './calculations/routes.js';
import { DirectoryService } from './directory/directory-service.js';
import { directoryRoutes } from './directory/routes.js';
import { SecretBox } from './directory/secret-box.js';
import { Passkeys } from './auth/passkeys/passkeys.js';
import { passkeyRoutes } from './auth/passkeys/routes.js';
import { FourEyes } from './approvals/four-eyes.js';
import { approvalRoutes } from './approvals/routes.js';
import { RecertificationService } from './recertification/recertification-service.js';
import { recertificationRoutes } from './recertification/routes.js';
import { AccessService } from './access/access-service.js';
import { accessRoutes } from './access/routes.js';

export interface AppDeps {
  db: Knex;
  logger: Logger;
  clock: Clock;
  mailer: Mailer;
  sessionSecret: string;
  hmacKey: string;
  /** Encrypts TOTP seeds at rest. */
  totpKey: string;
  jsonBodyLimit: string;
  staticDir?: string | undefined;
  /** Whose X-Forwarded-For to believe: nobody, a proxy on this host, or one on a private network (compose). */
  trustProxy?: 'none' | 'loopback' | 'uniquelocal';
  hasher?: PasswordHasher;
  /** Base of links in mails. */
  publicUrl?: string;
  /** Where uploads are spooled ($KONTOR_HOME/spool). */
  spoolDir?: string;
  importMaxBytes?: number;
  uploadLimits?: UploadLimits;
  /** Longest a single calculation statement may run (ms). */
  calculationTimeoutMs?: number;
  throttles?: { login: ThrottleOptions; recovery: ThrottleOptions };
  /** Who sends the security headers: the app (no proxy in front) or nginx ('proxy'), never both. */
  securityHeaders?: 'app' | 'proxy';
  /** Signed checkpoints of the audit chains (checkpoint routes, export, verification against them). */
  checkpoints?: CheckpointService;
  /** The syslog shipper, whose lag /api/health reports. */
  auditShipping?: { health(): ShippingHealth | null };
  /** The job queue's settings (its database is `db`'s); start it with `kontor.jobs.start()`. */
  jobs?: Partial<Omit<JobQueuesOptions, 'connection' | 'logger'>>;
  /** Extra API routers mounted under /api, before the 404 fallback (tests add failing routes here). */
  extraApiRoutes?: express.Router[];
  /** Plain-HTTP OpenID Connect issuers (the test suite's local provider only). */
  allowHttpIssuer?: boolean;
  /** The platform requires passkeys of vendor staff (config VENDOR_PASSKEY_REQUIRED). */
  vendorPasskeyRequired?: boolean;
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
  const hasher = deps.hasher ?? new PasswordHasher();
  const tokens = new SessionTokens(deps.sessionSecret, deps.clock);
  const secondFactor = new SecondFactor({ totpKey: deps.totpKey, hmacKey: deps.hmacKey });
  const box = new SecretBox({ totpKey: deps.totpKey, sessionSecret: deps.sessionSecret });
  // eslint-disable-next-line prefer-const -- assigned after AuthService, which needs a callback reading it (the two depend on each other)
  let directory: DirectoryService | undefined;
  const auth = new AuthService({
    db: deps.db, hasher, tokens, mailer: deps.mailer, clock: deps.clock, logger: deps.logger, hmacKey: deps.hmacKey, secondFactor,
    passwordRefused: (tenantId) => directory!.passwordRefused(tenantId), vendorPasskeyRequired: deps.vendorPasskeyRequired ?? false,
  });
  const routes = new RouteTable(createGuard({ db: deps.db, tokens, clock: deps.clock, vendorPasskeyRequired: deps.vendorPasskeyRequired ?? false }));
  // Whatever the caller leaves out (tests, benches) takes config.ts's default: no default lives here.
  const defaults = loadConfig({});
  const throttles = deps.throttles ?? defaults.throttles;
  healthRoutes(routes, deps.db, deps.auditShipping);
  authRoutes(routes, auth, { loginThrottle: throttles.login, recoveryThrottle: throttles.recovery, db: deps.db, hmacKey: deps.hmacKey });
  const publicUrl = deps.publicUrl ?? defaults.publicUrl;
  directory = new DirectoryService({ db: deps.db, auth, box, clock: deps.clock, logger: deps.logger, publicUrl, allowHttpIssuer: deps.allowHttpIssuer });
  directoryRoutes(routes, directory, { loginThrottle: throttles.login, clock: deps.clock, db: deps.db, hmacKey: deps.hmacKey });
  const passkeys = new Passkeys({ db: deps.db, auth: auth.deps, box, clock: deps.clock, logger: deps.logger, publicUrl });
  passkeyRoutes(routes, passkeys);
  const fourEyes = new FourEyes({ clock: deps.clock, logger: deps.logger });
  approvalRoutes(routes, fourEyes);
  const users = new UsersService({ auth, clock: deps.clock, publicUrl, fourEyes });
  userRoutes(routes, users);
  recertificationRoutes(routes, new RecertificationService({ clock: deps.clock, users }));
  platformRoutes(routes, new PlatformService({ db: deps.db, auth, clock: deps.clock, publicUrl, fourEyes }));
  auditRoutes(routes, new AuditService(deps.checkpoints && { checkpoints: deps.checkpoints, clock: deps.clock }));
  const access = new AccessService({ db: deps.db, clock: deps.clock, mailer: deps.mailer, logger: deps.logger, publicUrl });
  accessRoutes(routes, access);
  settingsRoutes(routes, new SettingsService({ clock: deps.clock, fourEyes, access }));
  const jobs = new JobQueues({ concurrency: Math.max(1, os.availableParallelism() - 1), ...deps.jobs, connection: connectionConfig(deps.db), logger: deps.logger });
  const imports = new ImportQueue({ db: deps.db, clock: deps.clock, logger: deps.logger, queues: jobs });
  const calculations = new CalculationQueue({ db: deps.db, clock: deps.clock, logger: deps.logger, timeoutMs: deps.calculationTimeoutMs ?? defaults.calculationTimeoutMs, queues: jobs });
  calculationRoutes(routes, new CalculationsService({ clock: deps.clock, queue: calculations }));
  containerRoutes(routes, new ContainersService({
    clock: deps.clock, queue: imports, spoolDir: deps.spoolDir ?? path.join(os.tmpdir(), 'kontor-spool'), importMaxBytes: deps.importMaxBytes ?? defaults.importMaxBytes,
    uploadLimits: deps.uploadLimits, fourEyes,
  }));

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
  for (const router of deps.extraApiRoutes ?? []) api.use(router);
  api.use(apiNotFound);
  app.use('/api', api);

  if (deps.staticDir) app.use(spaRoutes(deps.staticDir));
  app.use(errorHandler(deps.logger));
  return { app, auth, routes, hasher, imports, calculations, jobs, secondFactor, directory, passkeys };
}
