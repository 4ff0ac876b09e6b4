import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import pg from 'pg';
import { CHECKPOINT_KEY_FILE, loadOrCreateSigningKey } from '../src/audit/checkpoint-key.js';
import { systemClock } from '../src/clock.js';
import { loadConfig, type Config } from '../src/config.js';
import { ensureEmbeddedRolesAndDatabase } from '../src/db/bootstrap.js';
import { createKnex } from '../src/db/connection.js';
import { DatabaseSetupError } from '../src/db/database.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { DATABASE_NAME, EMBEDDED_API_LOGIN, OWNER_ROLE, RETENTION_ROLE } from '../src/db/roles.js';
import { MAINTENANCE_LOCK } from '../src/maintenance/cluster-leader.js';
import { freePort } from '../src/net/free-port.js';
import { startServer, type RunningServer } from '../src/server.js';
import { Client } from './helpers/client.js';
import { addDepartment, defaultDepartment, setDepartments } from './helpers/departments.js';
import { createBank, tempDir, type BankUser, type Installation } from './helpers/installation.js';
import { capturingLogger } from './helpers/logger.js';
import { startPgBouncer, type TestPgBouncer } from './helpers/pgbouncer.js';

/**
 * Issue 19: Debian's PgBouncer in transaction mode, two server connections, in front of this
 * suite's own PostgreSQL, and two whole instances (startServer) with DATABASE_URL through it and
 * DATABASE_DIRECT_URL straight to PostgreSQL for what needs a session (job library, heartbeats,
 * leader lock). Requests of two banks share the two server connections; nothing of one
 * transaction may remain in a server session for the next client.
 */
const POOL = 2;

let work: string;
let pgServer: EmbeddedDatabase;
let bouncer: TestPgBouncer;
let superDb: Knex;
let owner: Knex;
const servers: RunningServer[] = [];
let urls: { direct: (user: string, pw: string) => string; bounced: string; owner: string };
let apiPassword: string;
let shared: Record<string, string>;

/** Bank A: one analyst in the Gesamthaus, one in another department only; bank B: one analyst. */
const people: { name: string; tenantId: string; user: BankUser; departmentIds: string[] }[] = [];

async function until<T>(what: string, check: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function memberConfig(name: string, env: Record<string, string>): Promise<Config> {
  const home = path.join(work, name);
  return loadConfig({ ...env, PORT: String(await freePort()), KONTOR_HOME: home, STATIC_DIR: path.join(home, 'no-static') });
}

before(async () => {
  work = tempDir('kontor-pgbouncer-');
  const pgPort = await freePort();
  const pw = { super: randomBytes(24).toString('hex'), owner: randomBytes(24).toString('hex'), api: randomBytes(24).toString('hex'), retention: randomBytes(24).toString('hex') };
  apiPassword = pw.api;
  pgServer = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: pgPort, superPassword: pw.super, logger: capturingLogger().logger });
  await ensureEmbeddedRolesAndDatabase(pgServer.superUrl('postgres'), { owner: pw.owner, api: pw.api, retention: pw.retention });
  superDb = createKnex(pgServer.superUrl(DATABASE_NAME), 2);
  bouncer = await startPgBouncer({
    dir: path.join(work, 'pgbouncer'), server: { host: '127.0.0.1', port: pgPort }, database: DATABASE_NAME, users: { [EMBEDDED_API_LOGIN]: pw.api }, poolSize: POOL,
  });
  const direct = (user: string, password: string) => `postgres://${user}:${password}@127.0.0.1:${pgPort}/${DATABASE_NAME}`;
  urls = { direct, bounced: bouncer.url(EMBEDDED_API_LOGIN, pw.api, DATABASE_NAME), owner: direct(OWNER_ROLE, pw.owner) };
  shared = {
    DATABASE_URL: urls.bounced, DATABASE_DIRECT_URL: direct(EMBEDDED_API_LOGIN, pw.api),
    DATABASE_OWNER_URL: urls.owner, DATABASE_RETENTION_URL: direct(RETENTION_ROLE, pw.retention),
    SESSION_SECRET: randomBytes(32).toString('hex'), LOGIN_EVENT_KEY: randomBytes(32).toString('hex'), TOTP_KEY: randomBytes(32).toString('hex'),
    AUDIT_SIGNING_KEY_FILE: path.join(work, CHECKPOINT_KEY_FILE), JOB_CONCURRENCY: '1', DATABASE_POOL_MAX: '4', LOGIN_ATTEMPTS_PER_MINUTE: '100000',
  };
  loadOrCreateSigningKey(work);
  for (const name of ['instance-1', 'instance-2']) servers.push(await startServer(await memberConfig(name, shared), capturingLogger().logger, systemClock));
  owner = createKnex(urls.owner, 2);

  const inst = { owner, server: servers[0]! } as Installation;
  const a = await createBank(inst, 'Sparkasse Nord', { users: 3, withFactor: 0 });
  const b = await createBank(inst, 'Sparkasse Sued', { users: 2, withFactor: 0 });
  const aWhole = await defaultDepartment(owner, a.tenantId);
  const aOther = await addDepartment(owner, a.tenantId, 'Firmenkunden');
  await setDepartments(owner, a.tenantId, a.users[2]!.id, [aOther]);
  const bWhole = await defaultDepartment(owner, b.tenantId);
  people.push(
    { name: 'A-Gesamthaus', tenantId: a.tenantId, user: a.users[1]!, departmentIds: [aWhole] },
    { name: 'A-Firmenkunden', tenantId: a.tenantId, user: a.users[2]!, departmentIds: [aOther] },
    { name: 'B-Gesamthaus', tenantId: b.tenantId, user: b.users[1]!, departmentIds: [bWhole] },
  );
  for (const [tenantId, departmentId, name] of [[a.tenantId, aWhole, 'Nord Gesamt'], [a.tenantId, aOther, 'Nord Firmen'], [b.tenantId, bWhole, 'Sued Gesamt']] as const) {
    await inWholeTenant(owner, tenantId, (trx) => trx('containers').insert({ tenant_id: tenantId, department_id: departmentId, name }));
  }
});

after(async () => {
  for (const s of servers) await s.stop();
  await owner?.destroy();
  await superDb?.destroy();
  await bouncer?.stop();
  await pgServer?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function signIn(base: string, user: BankUser): Promise<Client> {
  const client = new Client(base);
  const res = await client.login(user.email, user.password);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return client;
}

/** The containers a person may see, from the superuser's view (no row security involved). */
async function expectedContainers(p: (typeof people)[number]): Promise<string[]> {
  return ((await superDb('containers').where({ tenant_id: p.tenantId }).whereIn('department_id', p.departmentIds).orderBy('name').pluck('name')) as string[]);
}

/**
 * What a PgBouncer server connection carries from earlier clients. Two clients each open a
 * transaction, so each holds one of the two server connections, and look at their session.
 */
async function serverSessions(): Promise<Record<string, unknown>[]> {
  const clients = [new pg.Client({ connectionString: urls.bounced }), new pg.Client({ connectionString: urls.bounced })];
  try {
    await Promise.all(clients.map((c) => c.connect()));
    await Promise.all(clients.map((c) => c.query('begin')));
    const states = await Promise.all(clients.map(async (c) => (await c.query(
      `select pg_backend_pid() as pid,
              coalesce(current_setting('app.tenant_id', true), '') as tenant,
              coalesce(current_setting('app.department_ids', true), '') as departments,
              (select count(*)::int from pg_prepared_statements) as prepared,
              (select count(*)::int from pg_listening_channels()) as listening,
              (select count(*)::int from pg_class where relnamespace = pg_my_temp_schema()) as temp_tables,
              (select count(*)::int from pg_cursors) as cursors,
              (select count(*)::int from pg_locks where pid = pg_backend_pid() and locktype = 'advisory') as advisory_locks,
              current_user = session_user as own_role,
              (select coalesce(array_agg(name::text order by name), '{}') from pg_settings where source = 'session'
                 and name not in ('application_name', 'client_encoding', 'DateStyle', 'TimeZone', 'standard_conforming_strings')) as session_settings`,
    )).rows[0] as Record<string, unknown>));
    await Promise.all(clients.map((c) => c.query('rollback')));
    return states;
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

const CLEAN = { tenant: '', departments: '', prepared: 0, listening: 0, temp_tables: 0, cursors: 0, advisory_locks: 0, own_role: true, session_settings: [] };

describe('PgBouncer in transaction mode (DATABASE_URL) with DATABASE_DIRECT_URL for sessions, two instances', () => {
  it('exactly one instance leads, and its lock is held by a session of its own, not a PgBouncer server connection', async () => {
    await until('a leader', async () => (servers.some((s) => s.isLeader()) ? true : undefined), 15_000);
    // One more leader check of every instance (each tries every 5 s) must not make a second one.
    await new Promise((r) => setTimeout(r, 6_000));
    assert.equal(servers.filter((s) => s.isLeader()).length, 1);
    // Held through PgBouncer, the lock would sit on a server connection that every client uses:
    // the next instance whose try lands there gets it too (a session lock is re-entrant).
    const holders = (await superDb('pg_locks').where({ locktype: 'advisory', granted: true, classid: Math.floor(MAINTENANCE_LOCK / 2 ** 32), objid: MAINTENANCE_LOCK % 2 ** 32, objsubid: 1 })
      .pluck('pid')) as number[];
    assert.equal(holders.length, 1);
    const bouncerPids = await bouncer.serverPids(EMBEDDED_API_LOGIN, apiPassword);
    assert.ok(bouncerPids.length > 0);
    assert.ok(!bouncerPids.includes(holders[0]!), 'the leader lock is on a PgBouncer server connection');
  });

  it('an import queued on instance 1 and a calculation queued on instance 2 are picked up and finish', async () => {
    const p = people[2]!;
    const [one, two] = [await signIn(servers[0]!.url, p.user), await signIn(servers[1]!.url, p.user)];
    const created = await one.post('/api/containers', { name: 'Sued Import' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const containerId = created.body.id as string;
    for (const kind of ['customer_groups', 'products', 'payments']) {
      const res = await fetch(`${servers[0]!.url}/api/containers/${containerId}/imports/${kind}`, {
        method: 'POST', headers: { origin: servers[0]!.url, cookie: one.cookie!, 'content-type': 'text/csv' },
        body: fs.readFileSync(path.join(import.meta.dirname, 'fixtures/calculations', `${kind}.csv`)),
      });
      const text = await res.text();
      assert.equal(res.status, 202, text);
      const { id } = JSON.parse(text) as { id: string };
      const done = await until(`the ${kind} import`, async () => {
        const { body } = await one.get(`/api/imports/${id}`);
        return ['succeeded', 'failed'].includes(body.status) ? body : undefined;
      }, 60_000);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.errors));
    }
    const started = await two.post('/api/calculations', { containerId, kind: 'leasing' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const run = await until('the calculation', async () => {
      const { body } = await two.get(`/api/calculations/${started.body.id}`);
      return ['succeeded', 'failed'].includes(body.status) ? body : undefined;
    }, 60_000);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    // Each instance's job library listens for new jobs on a session of its own (its LISTEN stays
    // that session's last statement); through PgBouncer it would be on a shared server connection
    // that hands the notifications to nobody, leaving the workers to their 2-second polling.
    const listeners = (await superDb('pg_stat_activity').where({ usename: EMBEDDED_API_LOGIN }).where('query', 'like', 'LISTEN "jobs:insert"%').pluck('pid')) as number[];
    const bouncerPids = await bouncer.serverPids(EMBEDDED_API_LOGIN, apiPassword);
    assert.equal(listeners.filter((pid) => !bouncerPids.includes(pid)).length, servers.length);
  });

  it('24 parallel sign-ins and 3 × 24 parallel requests of two banks through PgBouncer each see only their own bank and departments', async () => {
    const before = await bouncer.transactions(DATABASE_NAME, EMBEDDED_API_LOGIN, apiPassword);
    const expected = await Promise.all(people.map(expectedContainers));
    assert.deepEqual(expected.map((e) => e.length > 0), [true, true, true]);
    assert.notDeepEqual(expected[0], expected[1]);
    const signIns = await Promise.all(Array.from({ length: 24 }, async (_, i) => {
      const p = people[i % people.length]!;
      const client = new Client(servers[i % 2]!.url);
      const res = await client.login(p.user.email, p.user.password);
      return { i, p, client, status: res.status };
    }));
    assert.deepEqual(signIns.filter((s) => s.status !== 200).map((s) => `${s.p.name}: ${s.status}`), []);
    for (let round = 0; round < 3; round++) {
      const seen = await Promise.all(signIns.map(async ({ i, client }) => {
        // Every request on the other instance than its sign-in: the session is the cluster's.
        const base = servers[(i + round) % 2]!.url;
        const res = await new Client(base).request('GET', '/api/containers', undefined, { cookie: client.cookie! });
        return { i, status: res.status, names: res.status === 200 ? (res.body as { name: string }[]).map((c) => c.name).sort() : res.body };
      }));
      for (const s of seen) {
        assert.equal(s.status, 200, JSON.stringify(s.names));
        assert.deepEqual(s.names, expected[s.i % people.length], `round ${round}, ${people[s.i % people.length]!.name}`);
      }
    }
    // The traffic went through PgBouncer (its own count of transactions on this database).
    assert.ok((await bouncer.transactions(DATABASE_NAME, EMBEDDED_API_LOGIN, apiPassword)) - before >= 24 * 4);
  });

  it('no session state is left on the shared server connections: no tenant, departments, prepared statements, LISTEN, temp tables, cursors, advisory locks, SET', async () => {
    const sessions = await serverSessions();
    assert.equal(new Set(sessions.map((s) => s.pid)).size, POOL, 'both server connections were looked at');
    for (const s of sessions) {
      const { pid: _pid, ...state } = s;
      assert.deepEqual(state, CLEAN);
    }
  });

  it('a DATABASE_DIRECT_URL with another role than DATABASE_URL is refused at start (the queue would run without row security)', async () => {
    const config = await memberConfig('instance-owner-direct', { ...shared, DATABASE_DIRECT_URL: urls.owner });
    await assert.rejects(startServer(config, capturingLogger().logger, systemClock).then(async (started) => {
      await started.stop();
      return started;
    }), (err: Error) => {
      assert.ok(err instanceof DatabaseSetupError, `${err.name}: ${err.message}`);
      assert.match(err.message, /DATABASE_DIRECT_URL signs in as another role/);
      return true;
    });
  });
});
