/**
 * bench/multi-instance: authenticated GET throughput through the real nginx upstream with two API
 * instances against one, measured in the same run (rounds alternate one, two, one, two …), then the
 * failed answers during a rolling restart of both instances under the same load, before and after
 * one client retry of the (idempotent) request.
 * Both instances are the compiled server on one throw-away embedded PostgreSQL with the same keys
 * (e2e/lib/cluster.ts, as the multi-instance e2e suite runs them); in the one-instance rounds the
 * second runs idle outside the upstream, so both sides carry the same background work.
 * Run: npm run bench:multi-instance [-- --clients N] [--seconds S] [--rounds R] [--down S]
 * (default 16 clients, 10 s windows, 2 rounds, 5 s down; not a test, never gates CI).
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import {
  clusterInstances, createAnalyst, retryingClients, rollingRestart, signInThrough, startUpstreamNginx, type ClusterInstance,
} from '../../e2e/lib/cluster.js';
import { selfSignedCertificate } from '../../e2e/lib/nginx.js';
import { benchDatabase } from '../lib/embedded-db.js';
import { fmt, load, type LoadResult } from '../lib/load.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CLIENTS = arg('--clients', 16);
const SECONDS = arg('--seconds', 10);
const ROUNDS = arg('--rounds', 2);
const DOWN_SECONDS = arg('--down', 5);
const CONTAINERS = 20;

// The load goes through nginx over TLS with a throw-away certificate. Node trusts an extra CA only
// from NODE_EXTRA_CA_CERTS at start (as the e2e run sets it), so the bench starts itself once more.
if (!process.env.KONTOR_BENCH_TLS_DIR) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-bench-tls-'));
  const { cert } = selfSignedCertificate(dir);
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: cert, KONTOR_BENCH_TLS_DIR: dir },
  });
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
const tlsDir = process.env.KONTOR_BENCH_TLS_DIR;
const tls = { cert: path.join(tlsDir, 'tls.crt'), key: path.join(tlsDir, 'tls.key') };

const loadNow = () => `load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One GET on a keep-alive connection of `agent`: undefined on a 200, else what went wrong. */
function get(agent: https.Agent, url: string, cookie: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    https.get(url, { agent, headers: { cookie } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === 200 ? undefined : `status ${res.statusCode}`));
      res.once('error', (err) => resolve(`network: ${err.message}`));
    }).once('error', (err) => resolve(`network: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
  });
}

const nginxVersion = spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', '');
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${nginxVersion}, ${loadNow()}`);
console.log(`${CLIENTS} keep-alive clients, GET /api/containers (${CONTAINERS} containers) as a signed-in analyst, ${SECONDS} s windows, ${ROUNDS} rounds`);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-bench-multi-'));
fs.chmodSync(work, 0o755);
const db = await benchDatabase(2);
const nginxes: { stop(): Promise<void> }[] = [];
let instances: ClusterInstance[] = [];
try {
  const signingKeyFile = path.join(work, 'checkpoint-key.pem');
  fs.writeFileSync(signingKeyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  instances = await clusterInstances(work, ['instance-1', 'instance-2'], {
    databaseUrl: db.urls.api, ownerUrl: db.urls.owner, retentionUrl: db.urls.retention,
    sessionSecret: randomBytes(32).toString('hex'), loginEventKey: randomBytes(32).toString('hex'), totpKey: randomBytes(32).toString('hex'),
    signingKeyFile,
  });
  for (const inst of instances) await inst.start();
  const staticRoot = path.join(work, 'static');
  fs.mkdirSync(staticRoot, { mode: 0o755 });
  fs.writeFileSync(path.join(staticRoot, 'index.html'), '<!doctype html><title>bench</title>\n', { mode: 0o644 });
  // Two nginx processes with the production server blocks: one with instance 1 as its only upstream, one with both.
  const one = await startUpstreamNginx({ prefix: path.join(work, 'nginx-one'), instances: [instances[0]], tls, staticRoot });
  nginxes.push(one);
  const two = await startUpstreamNginx({ prefix: path.join(work, 'nginx-two'), instances, tls, staticRoot });
  nginxes.push(two);

  const user = await createAnalyst(db.owner);
  const cookie = await signInThrough(two.base, user);
  for (let i = 0; i < CONTAINERS; i++) {
    const res = await fetch(`${two.base}/api/containers`, {
      method: 'POST', headers: { cookie, origin: two.base, 'content-type': 'application/json' }, body: JSON.stringify({ name: `Bench ${i}` }),
    });
    if (res.status !== 201) throw new Error(`creating a container answered ${res.status}`);
    await res.arrayBuffer();
  }

  const measure = async (base: string): Promise<LoadResult> => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: CLIENTS });
    const send = async () => (await get(agent, `${base}/api/containers`, cookie)) === undefined;
    try {
      await load(2, CLIENTS, send); // warm-up: connections, JIT, the instances' pools
      return await load(SECONDS, CLIENTS, send);
    } finally {
      agent.destroy();
    }
  };
  const results = { one: [] as LoadResult[], two: [] as LoadResult[] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [label, nginx] of [['one', one], ['two', two]] as const) {
      const before = loadNow();
      const r = await measure(nginx.base);
      results[label].push(r);
      console.log(`round ${round}, ${label === 'one' ? 'one instance ' : 'two instances'}: ${fmt(r)}   (${before} before)`);
    }
  }
  const rates = (rs: LoadResult[]) => rs.map((r) => r.perSecond);
  const perRound = results.two.map((r, i) => r.perSecond / results.one[i].perSecond);
  console.log(`one instance:  median ${median(rates(results.one)).toFixed(0)} req/s`);
  console.log(`two instances: median ${median(rates(results.two)).toFixed(0)} req/s`);
  console.log(`ratio two/one: ${(median(rates(results.two)) / median(rates(results.one))).toFixed(2)} (rounds: ${perRound.map((x) => x.toFixed(2)).join(', ')})   (expected about 1 on two cores, never below 0.90)`);

  // Rolling restart under the same load through the two-instance upstream.
  const agent = new https.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const reasons = new Map<string, number>();
  const clients = retryingClients(CLIENTS, async () => {
    const problem = await get(agent, `${two.base}/api/containers`, cookie);
    if (problem !== undefined) reasons.set(problem, (reasons.get(problem) ?? 0) + 1);
    return problem;
  });
  const t0 = performance.now();
  const stamp = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  console.log(`rolling restart (${loadNow()}): stop, ${DOWN_SECONDS} s down, start until /api/health is 200, then nginx's fail_timeout + 2 s before the next`);
  try {
    await sleep(2000);
    await rollingRestart(instances, { whileDown: () => sleep(DOWN_SECONDS * 1000), log: (line) => console.log(`  ${stamp()} ${line} (ok so far ${clients.count.ok})`) });
    await sleep(2000);
  } finally {
    await clients.stop();
    agent.destroy();
  }
  const seconds = (performance.now() - t0) / 1000;
  const { ok, retried, failures } = clients.count;
  console.log(`rolling restart: ${ok} answered in ${seconds.toFixed(1)} s (${(ok / seconds).toFixed(0)} req/s), ${retried} failed at first and were retried, ${failures.length} failed after the retry (must be 0)`);
  if (reasons.size > 0) console.log(`  failed answers (first attempts and retries): ${[...reasons].map(([k, v]) => `${k} × ${v}`).join(', ')}`);
  if (failures.length > 0) process.exitCode = 1;
} finally {
  for (const n of nginxes) await n.stop();
  for (const inst of instances) await inst.stop();
  await db.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
