import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { CHECKPOINT_KEY_FILE, loadOrCreateSigningKey } from '../src/audit/checkpoint-key.js';
import { systemClock } from '../src/clock.js';
import { loadConfig, type Config } from '../src/config.js';
import { writeClusterEnv } from '../src/cli/cluster-env.js';
import { ClusterKeysDiffer } from '../src/maintenance/cluster-keys.js';
import { ensureEmbeddedRolesAndDatabase } from '../src/db/bootstrap.js';
import { createKnex } from '../src/db/connection.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { DATABASE_NAME, EMBEDDED_API_LOGIN, OWNER_ROLE, RETENTION_ROLE } from '../src/db/roles.js';
import { freePort } from '../src/net/free-port.js';
import { startServer, type RunningServer } from '../src/server.js';
import { tempDir } from './helpers/installation.js';
import { capturingLogger } from './helpers/logger.js';

/**
 * Issue 19: two whole API instances (startServer, as `npm start` runs it, each its own KONTOR_HOME
 * and PORT) on one database of their own (no other suite's leader competes for the lock), with a
 * 5-second retention period. Retention runs once per period on the leader only, and moves to the
 * other instance when the leader stops.
 */
const PERIOD_S = 5;

interface Member {
  name: string;
  server: RunningServer | undefined;
  lines: string[];
}

let work: string;
let pg: EmbeddedDatabase;
let superDb: Knex;
const members: Member[] = [];
/** What every member of the cluster shares (database, keys, retention period). */
let shared: Record<string, string>;

/** How many retention runs this member's log reports. */
const runs = (m: Member) => m.lines.filter((l) => l.includes('"msg":"periodic task run"') && l.includes('"task":"retention"')).length;

async function until(what: string, check: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  work = tempDir('kontor-cluster-');
  const pgPort = await freePort();
  const pw = { super: randomBytes(24).toString('hex'), owner: randomBytes(24).toString('hex'), api: randomBytes(24).toString('hex'), retention: randomBytes(24).toString('hex') };
  pg = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: pgPort, superPassword: pw.super, logger: capturingLogger().logger });
  await ensureEmbeddedRolesAndDatabase(pg.superUrl('postgres'), { owner: pw.owner, api: pw.api, retention: pw.retention });
  superDb = createKnex(pg.superUrl(DATABASE_NAME), 2);
  const url = (user: string, password: string) => `postgres://${user}:${password}@127.0.0.1:${pgPort}/${DATABASE_NAME}`;
  // The cluster's one signing key (generated here as a first start would generate it).
  loadOrCreateSigningKey(work);
  const keyFile = path.join(work, CHECKPOINT_KEY_FILE);
  // One cluster: the same keys on every instance (docs/scaling.md).
  shared = {
    DATABASE_URL: url(EMBEDDED_API_LOGIN, pw.api), DATABASE_OWNER_URL: url(OWNER_ROLE, pw.owner), DATABASE_RETENTION_URL: url(RETENTION_ROLE, pw.retention),
    SESSION_SECRET: randomBytes(32).toString('hex'), LOGIN_EVENT_KEY: randomBytes(32).toString('hex'), TOTP_KEY: randomBytes(32).toString('hex'),
    AUDIT_SIGNING_KEY_FILE: keyFile, RETENTION_INTERVAL_SECONDS: String(PERIOD_S), JOB_CONCURRENCY: '1', DATABASE_POOL_MAX: '4', LOG_LEVEL: 'debug',
  };
  for (const name of ['instance-1', 'instance-2']) {
    const home = path.join(work, name);
    const config = await memberConfig(home, shared);
    const { logger, lines } = capturingLogger();
    const member: Member = { name, server: undefined, lines };
    members.push(member);
    member.server = await startServer(config, logger, systemClock);
  }
});

async function memberConfig(home: string, env: Record<string, string>): Promise<Config> {
  return loadConfig({ ...env, PORT: String(await freePort()), KONTOR_HOME: home, STATIC_DIR: path.join(home, 'no-static') });
}

after(async () => {
  for (const m of members) await m.server?.stop();
  await superDb?.destroy();
  await pg?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function retentionSlot(): Promise<{ at: number; ranBy: string | null } | undefined> {
  const row = await superDb<{ task: string; last_run_at: Date; ran_by: string | null }>('maintenance_runs').where({ task: 'retention' }).first('last_run_at', 'ran_by');
  return row && { at: row.last_run_at.getTime(), ranBy: row.ran_by };
}

describe('retention once per cluster, two instances on one database', () => {
  it('both instances show in the heartbeats', async () => {
    const ids = members.map((m) => m.server!.kontor.jobs.instanceId);
    await until('both heartbeats', async () => (await superDb('app_instances').whereIn('id', ids).where('heartbeat_at', '>', superDb.raw("now() - interval '30 seconds'")).count({ n: '*' }))[0]!.n == 2, 15_000);
  });

  it('a third instance joins with the settings `cluster-env` writes; one with another key is refused while the cluster runs', async () => {
    // `npm run kontor -- cluster-env FILE` as the first instance's operator runs it.
    const file = path.join(work, 'cluster.env');
    writeClusterEnv(file, { ...shared, KONTOR_HOME: path.join(work, 'instance-1'), PORT: '3000' });
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const joined = Object.fromEntries(fs.readFileSync(file, 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => {
      const [k, v] = l.split(/=(.*)/s) as [string, string];
      return [k, v.startsWith("'") ? v.slice(1, -1) : v];
    }));
    for (const k of ['DATABASE_URL', 'SESSION_SECRET', 'LOGIN_EVENT_KEY', 'TOTP_KEY', 'AUDIT_SIGNING_KEY_FILE', 'AUDIT_CHECKPOINT_DIR']) assert.ok(joined[k], k);
    assert.equal(joined.SESSION_SECRET, shared.SESSION_SECRET);
    assert.equal(joined.AUDIT_CHECKPOINT_DIR, path.join(work, 'instance-1', 'checkpoints'));
    const third = await startServer(await memberConfig(path.join(work, 'instance-3'), { ...joined, RETENTION_INTERVAL_SECONDS: String(PERIOD_S) }), capturingLogger().logger, systemClock);
    await third.stop();
    for (const [key, what] of [['SESSION_SECRET', 'session secret'], ['TOTP_KEY', 'second-factor key']] as const) {
      const other = await memberConfig(path.join(work, `instance-other-${key}`), { ...joined, [key]: randomBytes(32).toString('hex') });
      await assert.rejects(startServer(other, capturingLogger().logger, systemClock), (err: Error) => {
        assert.ok(err instanceof ClusterKeysDiffer, `${what}: ${err.name}: ${err.message}`);
        assert.match(err.message, /cluster-env/);
        return true;
      });
    }
  });

  it(`runs once per ${PERIOD_S}-second period on the leader only, and moves to the other instance when the leader stops`, async () => {
    const idOf = (m: Member) => m.server!.kontor.jobs.instanceId;
    // Watch the slot: each run moves last_run_at; runs are at least a period apart.
    const slots: { at: number; ranBy: string | null }[] = [];
    const watch = async () => {
      const s = await retentionSlot();
      if (s?.ranBy && slots.at(-1)?.at !== s.at) slots.push(s);
    };
    await until('three retention runs with both instances up', async () => {
      await watch();
      return slots.length >= 3;
    }, 60_000);
    const leaderId = slots[0]!.ranBy;
    const leader = members.find((m) => idOf(m) === leaderId);
    assert.ok(leader, 'the slot was run by one of the two instances');
    const other = members.find((m) => m !== leader)!;
    assert.deepEqual(slots.map((s) => s.ranBy), slots.map(() => leaderId), 'every run on the leader');
    for (let i = 1; i < slots.length; i++) assert.ok(slots[i]!.at - slots[i - 1]!.at >= PERIOD_S * 1000, `runs ${i - 1} and ${i} are ${slots[i]!.at - slots[i - 1]!.at} ms apart`);
    assert.equal(runs(other), 0, `${other.name} ran retention while ${leader.name} led`);
    assert.ok(runs(leader) >= slots.length - 1 && runs(leader) <= slots.length + 1, `${runs(leader)} runs logged for ${slots.length} slots seen`);
    assert.ok(leader.lines.every((l) => !l.includes('"msg":"periodic task failed"')), 'no run failed');

    await leader.server!.stop();
    leader.server = undefined;
    // A run claimed before the stop finishes during it; nothing after.
    const ranBeforeStop = runs(leader);
    const stoppedAt = Date.now();
    await until(`${other.name} to run retention`, async () => (await retentionSlot())?.ranBy === idOf(other), 30_000);
    const tookOverS = (Date.now() - stoppedAt) / 1000;
    // The leader check (5 s) plus at most one period.
    assert.ok(tookOverS < 5 + PERIOD_S + 3, `took over after ${tookOverS} s`);
    await until('the next run', () => runs(other) >= 2, 30_000);
    const after2 = (await retentionSlot())!;
    assert.equal(after2.ranBy, idOf(other));
    assert.equal(runs(leader), ranBeforeStop, 'the stopped instance ran nothing more');
  });
});
