import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import type pg from 'pg';
import type { Clock } from './clock.js';
import { loadConfig, type Config } from './config.js';
import type { Logger } from './log/logger.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import type { Secrets } from './secrets.js';
import { AuthService } from './auth/auth-service.js';
import { PasswordHasher } from './auth/password-hasher.js';
import { SessionTokens } from './auth/session-token.js';
import { SecondFactor } from './auth/second-factor.js';
import { Passkeys } from './auth/passkeys/passkeys.js';
import { AuditService } from './audit/audit-service.js';
import type { CheckpointService } from './audit/checkpoints.js';
import { FourEyes } from './approvals/four-eyes.js';
import { AccessService } from './access/access-service.js';
import { CalculationQueue } from './calculations/calculation-queue.js';
import { CalculationsService } from './calculations/calculations-service.js';
import { ContainersService } from './containers/containers-service.js';
import type { UploadLimits } from './containers/upload-slots.js';
import { connectionConfig } from './db/connection.js';
import { DirectoryService } from './directory/directory-service.js';
import { SecretBox } from './directory/secret-box.js';
import { ImportQueue } from './imports/import-queue.js';
import { JobQueues, type JobQueuesOptions } from './jobs/job-queue.js';
import { RecertificationService } from './recertification/recertification-service.js';
import { PlatformService } from './tenancy/platform-service.js';
import { SettingsService } from './tenancy/settings-service.js';
import { UsersService } from './users/users-service.js';
import { DepartmentsService } from './departments/departments-service.js';

/**
 * The one place Kontor's services are built and wired to each other: the HTTP app (app.ts) mounts
 * their routes, the operator commands (cli/main.ts) call them directly. Nothing here listens,
 * connects or starts work: the job queues start only when the server calls `jobs.start()`.
 */
export interface ServiceDeps {
  db: Knex;
  logger: Logger;
  clock: Clock;
  mailer: Mailer;
  sessionSecret: string;
  hmacKey: string;
  /** Encrypts TOTP seeds at rest. */
  totpKey: string;
  hasher?: PasswordHasher;
  /** Base of links in mails. */
  publicUrl?: string;
  /** Where uploads are spooled ($KONTOR_HOME/spool). */
  spoolDir?: string;
  importMaxBytes?: number;
  uploadLimits?: UploadLimits;
  /** Longest a single calculation statement may run (ms). */
  calculationTimeoutMs?: number;
  /** Signed checkpoints of the audit chains (checkpoint routes, export, verification against them). */
  checkpoints?: CheckpointService;
  /** The job queue's settings (its database is `db`'s); start it with `jobs.start()`. */
  jobs?: Partial<Omit<JobQueuesOptions, 'connection' | 'logger'>>;
  /** Where the job library and the heartbeats connect: a real session (Database.session); default `db`'s settings. */
  sessionConnection?: pg.ClientConfig;
  /** Plain-HTTP OpenID Connect issuers (the test suite's local provider only). */
  allowHttpIssuer?: boolean;
  /** The platform requires passkeys of vendor staff (config VENDOR_PASSKEY_REQUIRED). */
  vendorPasskeyRequired?: boolean;
}

export interface Services {
  hasher: PasswordHasher;
  tokens: SessionTokens;
  secondFactor: SecondFactor;
  auth: AuthService;
  directory: DirectoryService;
  passkeys: Passkeys;
  fourEyes: FourEyes;
  departments: DepartmentsService;
  users: UsersService;
  recertification: RecertificationService;
  platform: PlatformService;
  audit: AuditService;
  access: AccessService;
  settings: SettingsService;
  /** The PostgreSQL job queue imports and calculations run on. */
  jobs: JobQueues;
  imports: ImportQueue;
  calculationQueue: CalculationQueue;
  calculations: CalculationsService;
  containers: ContainersService;
  publicUrl: string;
}

export function buildServices(deps: ServiceDeps): Services {
  // Whatever the caller leaves out (tests, benches) takes config.ts's default: no default lives here.
  const defaults = loadConfig({});
  const { db, clock, logger, mailer } = deps;
  const publicUrl = deps.publicUrl ?? defaults.publicUrl;
  const hasher = deps.hasher ?? new PasswordHasher();
  const tokens = new SessionTokens(deps.sessionSecret, clock);
  const secondFactor = new SecondFactor({ totpKey: deps.totpKey, hmacKey: deps.hmacKey });
  const box = new SecretBox({ totpKey: deps.totpKey, sessionSecret: deps.sessionSecret });
  // eslint-disable-next-line prefer-const -- assigned after AuthService, which needs a callback reading it (the two depend on each other)
  let directory: DirectoryService | undefined;
  const auth = new AuthService({
    db, hasher, tokens, mailer, clock, logger, hmacKey: deps.hmacKey, secondFactor,
    passwordRefused: (tenantId) => directory!.passwordRefused(tenantId), vendorPasskeyRequired: deps.vendorPasskeyRequired ?? false,
  });
  directory = new DirectoryService({ db, auth, box, clock, logger, publicUrl, allowHttpIssuer: deps.allowHttpIssuer });
  const passkeys = new Passkeys({ db, auth: auth.deps, box, clock, logger, publicUrl });
  const fourEyes = new FourEyes({ clock, logger });
  const departments = new DepartmentsService({ clock });
  const users = new UsersService({ auth, clock, publicUrl, fourEyes, departments });
  const recertification = new RecertificationService({ clock, users });
  const platform = new PlatformService({ db, auth, clock, publicUrl, fourEyes });
  const audit = new AuditService(deps.checkpoints && { checkpoints: deps.checkpoints, clock });
  const access = new AccessService({ db, clock, mailer, logger, publicUrl });
  const settings = new SettingsService({ clock, fourEyes, access });
  const jobs = new JobQueues({ concurrency: Math.max(1, os.availableParallelism() - 1), ...deps.jobs, connection: deps.sessionConnection ?? connectionConfig(db), logger });
  const imports = new ImportQueue({ db, clock, logger, queues: jobs });
  const calculationQueue = new CalculationQueue({ db, clock, logger, timeoutMs: deps.calculationTimeoutMs ?? defaults.calculationTimeoutMs, queues: jobs });
  const calculations = new CalculationsService({ clock, queue: calculationQueue });
  const containers = new ContainersService({
    clock, queue: imports, spoolDir: deps.spoolDir ?? path.join(os.tmpdir(), 'kontor-spool'), importMaxBytes: deps.importMaxBytes ?? defaults.importMaxBytes,
    uploadLimits: deps.uploadLimits, fourEyes,
  });
  return {
    hasher, tokens, secondFactor, auth, directory, passkeys, fourEyes, departments, users, recertification, platform, audit, access, settings,
    jobs, imports, calculationQueue, calculations, containers, publicUrl,
  };
}

/** The keys of this installation: a setting overrides what secrets.json holds. */
export function instanceKeys(config: Config, secrets: Secrets): { sessionSecret: string; hmacKey: string; totpKey: string } {
  return {
    sessionSecret: config.sessionSecret ?? secrets.sessionSecret,
    hmacKey: config.loginEventKey ?? secrets.loginEventKey,
    totpKey: config.totpKey ?? secrets.totpKey,
  };
}

/** The services' dependencies for this installation, from its settings and secrets (server and operator commands alike). */
export function instanceDeps(config: Config, secrets: Secrets, db: Knex, logger: Logger, clock: Clock): ServiceDeps & { mailer: Mailer } {
  return {
    db, logger, clock,
    mailer: createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, locale: config.mailLocale, home: config.home, logger, clock }),
    ...instanceKeys(config, secrets),
    publicUrl: config.publicUrl,
    vendorPasskeyRequired: config.vendorPasskeyRequired,
    spoolDir: path.join(config.home, 'spool'),
    importMaxBytes: config.importMaxBytes,
    uploadLimits: config.uploadLimits,
    calculationTimeoutMs: config.calculationTimeoutMs,
    jobs: { concurrency: config.jobConcurrency },
  };
}
