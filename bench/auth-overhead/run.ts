/**
 * bench/auth-overhead: what the per-request security costs, as ratios measured in one run.
 *  1. An authenticated, tenant-scoped GET (JWT + session row + RLS transaction + one tenant query)
 *     against the same query in an RLS transaction with no authentication, same process.
 *  2. Login p99 at concurrency 8.
 *  3. Authenticated GET throughput during a login flood, against without.
 * Run: npm run bench:auth  (not a test; prints ratios, never fails on absolute times).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Router } from 'express';
import { createApp } from '../../backend/src/app.js';
import { systemClock } from '../../backend/src/clock.js';
import { inWholeTenant, seeAllDepartments } from '../../backend/src/db/tenant-transaction.js';
import { createDefaultDepartment } from '../../backend/src/departments/departments-store.js';
import { signedIn } from '../../backend/src/http/route-table.js';
import { createLogger } from '../../backend/src/log/logger.js';
import { benchDatabase } from '../lib/embedded-db.js';
import { fmt, load } from '../lib/load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = 8;

const db = await benchDatabase(12);
const logger = createLogger({ level: 'silent', clock: systemClock });
const baseline = Router();
const kontor = createApp({
  db: db.api, logger, clock: systemClock,
  mailer: { send: async () => undefined },
  sessionSecret: randomBytes(32).toString('hex'),
  hmacKey: randomBytes(32).toString('hex'),
  totpKey: randomBytes(32).toString('hex'),
  jsonBodyLimit: '100kb',
  throttles: { login: { limit: 1e9, windowSeconds: 60 }, recovery: { limit: 1e9, windowSeconds: 60 } },
  extraApiRoutes: [baseline],
});

// One tenant with a user, a membership and 50 containers to list.
const [tenant] = await db.owner('tenants').insert({ name: 'Bench Sparkasse' }).returning('id');
const tenantId = (tenant as { id: string }).id;
const email = 'bench@bank.example';
const password = 'bench passphrase 2026';
const [user] = await db.owner('users').insert({ tenant_id: tenantId, email, name: 'Bench' }).returning('id');
const userId = (user as { id: string }).id;
await db.owner('password_credentials').insert({ user_id: userId, hash: await kontor.hasher.hash(password) });
const analyst = await db.owner('roles').where({ key: 'analyst' }).first('id');
await inWholeTenant(db.owner, tenantId, async (trx) => {
  await trx('tenant_settings').insert({ tenant_id: tenantId });
  const departmentId = await createDefaultDepartment(trx, tenantId, new Date());
  await seeAllDepartments(trx, tenantId);
  await trx('memberships').insert({ tenant_id: tenantId, user_id: userId });
  await trx('membership_roles').insert({ tenant_id: tenantId, user_id: userId, role_id: analyst.id });
  await trx('membership_departments').insert({ tenant_id: tenantId, user_id: userId, department_id: departmentId });
  await trx('containers').insert(Array.from({ length: 50 }, (_, i) => ({ tenant_id: tenantId, department_id: departmentId, name: `container ${i}` })));
});

const listContainers = (trx: import('knex').Knex.Transaction, tid: string) =>
  trx('containers').where({ tenant_id: tid }).orderBy('name').select('id', 'name', 'locked');
kontor.routes.guarded('get', '/bench/containers', signedIn, async (ctx) => ({ body: await listContainers(ctx.trx, ctx.tenantId) }));
baseline.get('/bench/baseline', async (_req, res) => {
  res.json(await inWholeTenant(db.api, tenantId, (trx) => listContainers(trx, tenantId)));
});

const server = kontor.app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const headers = { origin: base, 'content-type': 'application/json' };

async function login(): Promise<string | undefined> {
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers, body: JSON.stringify({ email, password }) });
  await res.arrayBuffer();
  return res.headers.getSetCookie()[0]?.split(';')[0];
}
const cookie = (await login())!;
const authedGet = async () => {
  const res = await fetch(`${base}/api/bench/containers`, { headers: { cookie } });
  await res.arrayBuffer();
  return res.status === 200;
};
const baselineGet = async () => {
  const res = await fetch(`${base}/api/bench/baseline`);
  await res.arrayBuffer();
  return res.status === 200;
};

// Warm up both paths, then measure alternately so drift hits both alike.
await load(2, CONCURRENCY, authedGet);
await load(2, CONCURRENCY, baselineGet);
const base1 = await load(SECONDS / 2, CONCURRENCY, baselineGet);
const auth1 = await load(SECONDS / 2, CONCURRENCY, authedGet);
const base2 = await load(SECONDS / 2, CONCURRENCY, baselineGet);
const auth2 = await load(SECONDS / 2, CONCURRENCY, authedGet);
const merge = (a: typeof base1, b: typeof base1) => ({
  ...a, requests: a.requests + b.requests, errors: a.errors + b.errors, perSecond: (a.perSecond + b.perSecond) / 2, p50: (a.p50 + b.p50) / 2, p99: Math.max(a.p99, b.p99),
});
const baselineResult = merge(base1, base2);
const authResult = merge(auth1, auth2);

const loginResult = await load(SECONDS, CONCURRENCY, async () => Boolean(await login()));

const quietGet = await load(SECONDS / 2, CONCURRENCY, authedGet);
let flooding = true;
const flood = (async () => {
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (flooding) await login().catch(() => undefined);
  }));
})();
const floodedGet = await load(SECONDS / 2, CONCURRENCY, authedGet);
flooding = false;
await flood;

const lines = [
  `auth-overhead (${SECONDS} s windows, concurrency ${CONCURRENCY}, one process, embedded PostgreSQL)`,
  `  baseline GET (RLS transaction + query, no auth): ${fmt(baselineResult)}`,
  `  authenticated GET (JWT + session + RLS + query):  ${fmt(authResult)}`,
  `  throughput ratio authenticated/baseline: ${(authResult.perSecond / baselineResult.perSecond).toFixed(2)} (target >= 0.70)`,
  `  p99 ratio authenticated/baseline:        ${(authResult.p99 / baselineResult.p99).toFixed(2)} (target <= 2.00)`,
  `  login at concurrency ${CONCURRENCY}: ${fmt(loginResult)}`,
  `  authenticated GET alone:            ${fmt(quietGet)}`,
  `  authenticated GET during login flood: ${fmt(floodedGet)}`,
  `  throughput ratio flood/alone: ${(floodedGet.perSecond / quietGet.perSecond).toFixed(2)} (target >= 0.50)`,
];
process.stdout.write(`${lines.join('\n')}\n`);
server.close();
server.closeAllConnections();
await db.stop();
