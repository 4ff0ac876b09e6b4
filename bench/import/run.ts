/**
 * bench/import: the real import path (HTTP upload → spool → COPY in one transaction) against a
 * naive baseline (parse lines in Node, knex batchInsert in chunks of 1000) on the same generated
 * data in the same run. Also the server's peak RSS during the import and the p99 of an
 * authenticated GET during the import against idle.
 * Rounds alternate real path and baseline, each into a fresh container that is deleted (and the
 * table vacuumed) afterwards, so both meet the same table and index; the best of each counts.
 * Run: npm run bench:import [-- --groups N] [--rounds R]   (default 1 000 000, 3; not a test, never gates CI)
 */
import fs from 'node:fs';
import path from 'node:path';
import { inWholeTenant } from '../../backend/src/db/tenant-transaction.js';
import { fmt, load } from '../lib/load.js';
import { newContainer as create, startBenchServer, waitUntilDone } from '../lib/server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const GROUPS = arg('--groups', 1_000_000);
const ROUNDS = arg('--rounds', 3);

const s = await startBenchServer('import');
const { base, headers, cli, api, server } = s;
const data = path.join(s.home, 'data');
const newContainer = (name: string) => create(s, name);
const dropContainer = async (id: string) => {
  await fetch(`${base}/api/containers/${id}`, { method: 'DELETE', headers });
  await s.owner.raw('vacuum customer_groups');
};
const best = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const t0 = performance.now();
  cli('generate', '--groups', String(GROUPS), '--seed', '42', '--out', data);
  const generateSeconds = (performance.now() - t0) / 1000;
  const probe = async () => (await fetch(`${base}/api/containers`, { headers })).ok;

  const file = path.join(data, 'customer_groups.csv');
  const bytes = fs.statSync(file).size;

  const importInto = async (containerId: string, whileRunning?: () => Promise<void>) => {
    const started = performance.now();
    const upload = await fetch(`${base}/api/containers/${containerId}/imports/customer_groups`, {
      method: 'POST', headers: { ...headers, 'content-type': 'text/csv' }, body: fs.createReadStream(file) as unknown as BodyInit, duplex: 'half',
    } as RequestInit);
    const { id } = (await upload.json()) as { id: string };
    const uploaded = performance.now();
    const state = { finished: false };
    const poll = waitUntilDone(s, `/imports/${id}`, 50).then((status) => {
      state.finished = true;
      return status;
    });
    const loadDuring = whileRunning ? (async () => { while (!state.finished) await whileRunning(); })() : Promise.resolve();
    const [status] = await Promise.all([poll, loadDuring]);
    const seconds = (performance.now() - started) / 1000;
    if (status !== 'succeeded') throw new Error(`import ${status}`);
    const row = await inWholeTenant(s.owner, s.tenantId, (trx) => trx.raw('select extract(epoch from finished_at - started_at) as work from imports where id = ?', [id]));
    return { seconds, uploadSeconds: (uploaded - started) / 1000, workSeconds: Number(row.rows[0].work) };
  };

  // The straightforward way, in this process: read the file, split lines, batchInsert.
  const baseline = async (containerId: string) => {
    const b0 = performance.now();
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    const header = lines.shift()!.split(';');
    const rows = lines.map((l) => {
      const cells = l.split(';');
      const o = Object.fromEntries(header.map((h, i) => [h, cells[i] === '' ? null : cells[i]])) as Record<string, string | null>;
      return {
        tenant_id: s.tenantId, container_id: containerId, group_id: o.group_id, kind: o.kind, customer_type: Number(o.customer_type), branch: o.branch,
        postcode: o.postcode, age: Number(o.age), industry: o.industry, turnover: o.turnover?.replace(',', '.') ?? null, rating: o.rating ? Number(o.rating) : null,
        negative_flag: o.negative_flag === '1', online_logins_12m: Number(o.online_logins_12m),
      };
    });
    await inWholeTenant(api, s.tenantId, (trx) => trx.batchInsert('customer_groups', rows, 1000));
    return (performance.now() - b0) / 1000;
  };

  // 1. Throughput, nothing else running, rounds alternating.
  const real: Awaited<ReturnType<typeof importInto>>[] = [];
  const naive: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const r = await newContainer(`bench real ${round}`);
    real.push(await importInto(r));
    await dropContainer(r);
    const b = await newContainer(`bench baseline ${round}`);
    naive.push(await baseline(b));
    await dropContainer(b);
  }

  // 2. Latency and memory while one more import runs.
  const idle = await load(5, 4, probe);
  const during: Awaited<ReturnType<typeof load>>[] = [];
  await importInto(await newContainer('bench under load'), async () => void during.push(await load(2, 4, probe)));
  const peakRssMb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) / 1024;
  const duringAll = during.length ? during.reduce((a, b) => ({ ...a, requests: a.requests + b.requests, errors: a.errors + b.errors, p50: Math.max(a.p50, b.p50), p99: Math.max(a.p99, b.p99), perSecond: (a.perSecond + b.perSecond) / 2 })) : idle;

  const realSeconds = best(real.map((r) => r.seconds));
  const fastest = real.find((r) => r.seconds === realSeconds)!;
  const baselineSeconds = best(naive);
  const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
  const out = [
    `import (${GROUPS.toLocaleString('en')} customer groups, ${(bytes / 1e6).toFixed(0)} MB; generated in ${generateSeconds.toFixed(1)} s; best of ${ROUNDS} alternating rounds)`,
    `  real path (upload, spool, validate, COPY, insert, one transaction): ${realSeconds.toFixed(1)} s = ${(GROUPS / realSeconds).toFixed(0)} rows/s   (rounds: ${list(real.map((r) => r.seconds))} s)`,
    `    of which upload to 202: ${fastest.uploadSeconds.toFixed(2)} s, import job: ${fastest.workSeconds.toFixed(2)} s`,
    `  baseline (parse in Node, knex batchInsert x1000):                  ${baselineSeconds.toFixed(1)} s = ${(GROUPS / baselineSeconds).toFixed(0)} rows/s   (rounds: ${list(naive)} s)`,
    `  rows/s ratio real/baseline: best ${(baselineSeconds / realSeconds).toFixed(2)}, median ${(median(naive) / median(real.map((r) => r.seconds))).toFixed(2)} (target >= 5)`,
    `  server peak RSS: ${peakRssMb.toFixed(0)} MB (target <= 256)`,
    `  GET idle:          ${fmt(idle)}`,
    `  GET during import: ${fmt(duringAll)}`,
    `  p99 ratio during/idle: ${(duringAll.p99 / idle.p99).toFixed(2)} (target <= 3)`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  await s.stop();
}
