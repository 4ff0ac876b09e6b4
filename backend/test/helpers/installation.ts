import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { systemClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createKnex } from '../../src/db/connection.js';
import { inTenant } from '../../src/db/tenant-transaction.js';
import { createLogger } from '../../src/log/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { IMPORT_KINDS } from '../../src/imports/formats.js';
import { runImport } from '../../src/imports/import-runner.js';
import { freePort } from '../../src/net/free-port.js';

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o711);
  return dir;
}

/** A whole installation as `npm start` runs it: its own KONTOR_HOME, embedded PostgreSQL and HTTP port. */
export interface Installation {
  home: string;
  config: Config;
  server: RunningServer;
  url: string;
  /** The cluster superuser (bypasses row-level security): counts and chain heads of everything. */
  superDb: Knex;
  owner: Knex;
  stop(): Promise<void>;
}

export async function startInstallation(home: string): Promise<Installation> {
  const [port, pgPort] = [await freePort(), await freePort()];
  const config = loadConfig({
    PORT: String(port), KONTOR_HOME: home, KONTOR_PG_PORT: String(pgPort), LOG_LEVEL: 'silent',
    LOGIN_ATTEMPTS_PER_MINUTE: '100000', DATABASE_POOL_MAX: '8', STATIC_DIR: path.join(home, 'no-static'),
  });
  const logger = createLogger({ level: 'silent', clock: systemClock, toStdout: false, destination: { write: () => undefined } });
  const server = await startServer(config, logger, systemClock);
  const secrets = JSON.parse(fs.readFileSync(path.join(home, 'secrets.json'), 'utf8')) as { pgSuperPassword: string };
  const superDb = createKnex(`postgres://postgres:${secrets.pgSuperPassword}@127.0.0.1:${pgPort}/kontor`, 2);
  const owner = createKnex(server.database.ownerUrl!, 2);
  return {
    home, config, server, url: server.url, superDb, owner,
    stop: async () => {
      await superDb.destroy();
      await owner.destroy();
      await server.stop();
    },
  };
}

/** Row counts of every table of the schema, and every chain head: what a restore must reproduce. */
export async function databaseState(superDb: Knex): Promise<{ counts: Record<string, number>; auditHeads: unknown[]; loginHeads: unknown[] }> {
  const tables = (await superDb('pg_tables').where({ schemaname: 'public' }).orderBy('tablename').pluck('tablename')) as string[];
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t] = Number((await superDb(t).count({ n: '*' }))[0]!.n);
  const auditHeads = (await superDb('audit_chain_heads').orderBy(['tenant_id', 'chain']).select()).map((h) => ({ ...h, last_hash: Buffer.from(h.last_hash).toString('hex') }));
  const loginHeads = (await superDb('login_chain_heads').orderBy('chain').select()).map((h) => ({ ...h, last_hash: Buffer.from(h.last_hash).toString('hex') }));
  return { counts, auditHeads, loginHeads };
}

export interface BankUser {
  id: string;
  email: string;
  password: string;
  /** The TOTP seed, when the user has a confirmed second factor. */
  totp: string | undefined;
}

/** A bank with both modules, an admin with a second factor and analysts with passwords only. */
export async function createBank(inst: Installation, name: string, options: { users: number; withFactor: number }): Promise<{ tenantId: string; users: BankUser[] }> {
  const { owner, server } = inst;
  const [t] = await owner('tenants').insert({ name }).returning('id');
  const tenantId = (t as { id: string }).id;
  await owner('tenant_modules').insert([{ tenant_id: tenantId, module: 'segmentation' }, { tenant_id: tenantId, module: 'leasing' }]);
  const roles = Object.fromEntries((await owner('roles').whereIn('key', ['tenant_admin', 'analyst']).select('key', 'id')).map((r) => [r.key, r.id])) as Record<string, string>;
  await inTenant(owner, tenantId, (trx) => trx('tenant_settings').insert({ tenant_id: tenantId }));
  const users: BankUser[] = [];
  for (let i = 0; i < options.users; i++) {
    const email = `person${i}-${randomBytes(3).toString('hex')}@${name.toLowerCase().replace(/[^a-z]/g, '')}.example`;
    const password = `Pw-${randomBytes(12).toString('base64url')}`;
    const [u] = await owner('users').insert({ tenant_id: tenantId, email, name: `Person ${i}` }).returning('id');
    const id = (u as { id: string }).id;
    await owner('password_credentials').insert({ user_id: id, hash: await server.kontor.hasher.hash(password) });
    let totp: string | undefined;
    if (i < options.withFactor) {
      totp = server.kontor.secondFactor.newSecret();
      await owner('user_totp').insert({ user_id: id, secret_enc: server.kontor.secondFactor.encrypt(totp), confirmed_at: new Date(), created_at: new Date() });
    }
    await inTenant(owner, tenantId, async (trx) => {
      await trx('memberships').insert({ tenant_id: tenantId, user_id: id });
      await trx('membership_roles').insert({ tenant_id: tenantId, user_id: id, role_id: i === 0 ? roles.tenant_admin! : roles.analyst! });
      await trx('audit_events').insert({ tenant_id: tenantId, actor_user_id: id, type: 'user.created', subject_type: 'user', subject_id: id });
    });
    users.push({ id, email, password, totp });
  }
  return { tenantId, users };
}

/** A container filled by the real import path from generated files (customer groups, products, payments). */
export async function importContainer(inst: Installation, tenantId: string, name: string, filesDir: string): Promise<string> {
  const db = inst.server.database.api;
  const [c] = await inTenant(db, tenantId, (trx) => trx('containers').insert({ tenant_id: tenantId, name }).returning('id'));
  const containerId = (c as { id: string }).id;
  for (const kind of IMPORT_KINDS) {
    const outcome = await runImport({ db, tenantId, containerId, kind, file: path.join(filesDir, `${kind}.csv`), now: new Date(), onProgress: () => undefined });
    if (!outcome.ok) throw new Error(`import of ${kind} failed`);
  }
  await inTenant(db, tenantId, (trx) => trx('audit_events').insert({ tenant_id: tenantId, type: 'import.finished', subject_type: 'container', subject_id: containerId }));
  return containerId;
}
