import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateSigningKey } from '../../src/audit/checkpoint-key.js';
import { CheckpointService } from '../../src/audit/checkpoints.js';
import type { Knex } from 'knex';
import { createApp, type AppDeps, type Kontor } from '../../src/app.js';
import { inTenant } from '../../src/db/tenant-transaction.js';
import { createMailer } from '../../src/mail/mailer.js';
import { TestClock } from './clock.js';
import { apiDb, ownerDb, uniqueName } from './db.js';
import { listen } from './http.js';
import { capturingLogger } from './logger.js';
import { MailCatcher } from './mail.js';
import { defaultDepartment } from './departments.js';

export interface TestKontor {
  url: string;
  kontor: Kontor;
  clock: TestClock;
  mail: MailCatcher;
  logLines: string[];
  db: Knex;
  owner: Knex;
  close(): Promise<void>;
}

/** The real app on a free port with a test clock, a real SMTP catcher and a captured log. */
export async function startTestKontor(overrides: Partial<AppDeps> = {}): Promise<TestKontor> {
  const clock = new TestClock();
  const mail = new MailCatcher();
  const smtpUrl = await mail.start();
  const { logger, lines } = capturingLogger();
  const db = apiDb(6);
  const owner = ownerDb();
  // Signed checkpoints with a throw-away key (suites about checkpoints bring their own).
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-test-home-'));
  const checkpoints = new CheckpointService({ db, home, key: loadOrCreateSigningKey(home), clock, logger });
  const kontor = createApp({
    db, logger, clock, checkpoints,
    mailer: createMailer({ smtpUrl, home: '/nonexistent', logger, clock }),
    sessionSecret: randomBytes(32).toString('hex'),
    hmacKey: randomBytes(32).toString('hex'),
    totpKey: randomBytes(32).toString('hex'),
    jsonBodyLimit: '100kb',
    throttles: { login: { limit: 1000, windowSeconds: 60 }, recovery: { limit: 1000, windowSeconds: 60 } },
    ...overrides,
    // Each test app has its own job namespace: suites share one database, never each other's jobs.
    jobs: { concurrency: 2, stopWaitMs: 2000, namespace: uniqueName('test'), ...overrides.jobs },
  });
  await kontor.jobs.start();
  const running = await listen(kontor.app);
  return {
    url: running.url, kontor, clock, mail, logLines: lines, db, owner,
    close: async () => {
      await running.close();
      await kontor.jobs.stop();
      await mail.stop();
      await db.destroy();
      await owner.destroy();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  tenantId: string;
}

/**
 * Suites that are not about vendor access let vendor staff switch in as before (`open`); the
 * access-request suites ask for `approval` or `notify` through `settings`.
 */
const DEFAULT_TEST_SETTINGS = { access_mode: 'open' };

/** A tenant with settings, and a user with the given built-in roles and a known password. */
export async function createTenantWithUser(
  t: TestKontor,
  options: { roles?: string[]; tenantName?: string; mustChangePassword?: boolean; settings?: Record<string, unknown>; isVendor?: boolean; modules?: string[] } = {},
): Promise<TestUser> {
  const [tenant] = await t.owner('tenants').insert({ name: options.tenantName ?? uniqueName('Sparkasse'), is_vendor: options.isVendor ?? false }).returning('id');
  const tenantId = (tenant as { id: string }).id;
  for (const module of options.modules ?? []) await t.owner('tenant_modules').insert({ tenant_id: tenantId, module });
  // Four-eyes is on for new banks; suites not about it get a bank as it was before (off) unless they ask.
  await inTenant(t.owner, tenantId, (trx) => trx('tenant_settings').insert({ tenant_id: tenantId, four_eyes: false, ...DEFAULT_TEST_SETTINGS, ...(options.settings ?? {}) }));
  return addUser(t, tenantId, options);
}

export async function addUser(t: TestKontor, tenantId: string, options: { roles?: string[]; mustChangePassword?: boolean } = {}): Promise<TestUser> {
  const email = `${uniqueName('person')}@bank.example`;
  const password = `Pw-${randomBytes(9).toString('base64url')}`;
  const [user] = await t.owner('users').insert({ tenant_id: tenantId, email, name: 'Test Person', must_change_password: options.mustChangePassword ?? false }).returning('id');
  const id = (user as { id: string }).id;
  await t.owner('password_credentials').insert({ user_id: id, hash: await t.kontor.hasher.hash(password) });
  const roleIds = (await t.owner('roles').whereIn('key', options.roles ?? ['analyst']).pluck('id')) as string[];
  const departmentId = await defaultDepartment(t.owner, tenantId);
  await inTenant(t.owner, tenantId, async (trx) => {
    await trx('memberships').insert({ tenant_id: tenantId, user_id: id });
    for (const roleId of roleIds) await trx('membership_roles').insert({ tenant_id: tenantId, user_id: id, role_id: roleId });
    // Like every member at the upgrade: in the bank's Gesamthaus.
    await trx('membership_departments').insert({ tenant_id: tenantId, user_id: id, department_id: departmentId });
  });
  return { id, email, password, tenantId };
}
