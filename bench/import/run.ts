/**
 * bench/import: the real import path (HTTP upload → spool → COPY in one transaction) against a
 * naive baseline (parse lines in Node, knex batchInsert in chunks of 1000) on the same generated
 * data in the same run. Also the server's peak RSS during the import and the p99 of an
 * authenticated GET during the import against idle.
 * Run: npm run bench:import [-- --groups N]   (default 1 000 000; not a test, never gates CI)
 */
import fs from 'node:fs';
import path from 'node:path';
import { inTenant } from '../../backend/src/db/tenant-transaction.js';
import { fmt, load } from '../lib/load.js';
import { newContainer as create, startBenchServer, waitUntilDone } from '../lib/server.js';

const groupsArg = process.argv.indexOf('--groups');
const GROUPS = groupsArg > 0 ? Number(process.argv[groupsArg + 1]) : 1_000_000;

const s = await startBenchServer('import');
const { base, headers, cli, api, server } = s;
const data = path.join(s.home, 'data');
const user = { tenant_id: s.tenantId };
const newContainer = (name: string) => create(s, name);
try {
  const t0 = performance.now();
  cli('generate', '--groups', String(GROUPS), '--seed', '42', '--out', data);
  const generateSeconds = (performance.now() - t0) / 1000;
  const probe = async () => (await fetch(`${base}/api/containers`, { headers })).ok;

  const idle = await load(5, 4, probe);

  const file = path.join(data, 'customer_groups.csv');
  const bytes = fs.statSync(file).size;
  const importInto = async (containerId: string, whileRunning?: () => Promise<void>) => {
    const started = performance.now();
    const upload = await fetch(`${base}/api/containers/${containerId}/imports/customer_groups`, {
      method: 'POST', headers: { ...headers, 'content-type': 'text/csv' }, body: fs.createReadStream(file) as unknown as BodyInit, duplex: 'half',
    } as RequestInit);
    const { id } = (await upload.json()) as { id: string };
    const state = { finished: false };
    const poll = waitUntilDone(s, `/imports/${id}`).then((status) => {
      state.finished = true;
      return status;
    });
    const loadDuring = whileRunning ? (async () => { while (!state.finished) await whileRunning(); })() : Promise.resolve();
    const [status] = await Promise.all([poll, loadDuring]);
    return { seconds: (performance.now() - started) / 1000, status };
  };

  // 1. Throughput, with nothing else running (as the baseline below).
  const quiet = await importInto(await newContainer('bench real path'));
  // 2. Latency and memory while a second import of the same file runs.
  const during: Awaited<ReturnType<typeof load>>[] = [];
  await importInto(await newContainer('bench under load'), async () => void during.push(await load(2, 4, probe)));
  const realSeconds = quiet.seconds;
  const status = quiet.status;
  const peakRssMb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) / 1024;

  // Baseline: the straightforward way, in this process, into another container.
  const baselineContainer = await newContainer('bench baseline');
  const b0 = performance.now();
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const header = lines.shift()!.split(';');
  const rows = lines.map((l) => {
    const cells = l.split(';');
    const o = Object.fromEntries(header.map((h, i) => [h, cells[i] === '' ? null : cells[i]])) as Record<string, string | null>;
    return {
      tenant_id: user.tenant_id, container_id: baselineContainer, group_id: o.group_id, kind: o.kind, customer_type: Number(o.customer_type), branch: o.branch,
      postcode: o.postcode, age: Number(o.age), industry: o.industry, turnover: o.turnover?.replace(',', '.') ?? null, rating: o.rating ? Number(o.rating) : null,
      negative_flag: o.negative_flag === '1', online_logins_12m: Number(o.online_logins_12m),
    };
  });
  await inTenant(api, user.tenant_id, (trx) => trx.batchInsert('customer_groups', rows, 1000));
  const baselineSeconds = (performance.now() - b0) / 1000;

  const duringAll = during.length ? during.reduce((a, b) => ({ ...a, requests: a.requests + b.requests, errors: a.errors + b.errors, p50: Math.max(a.p50, b.p50), p99: Math.max(a.p99, b.p99), perSecond: (a.perSecond + b.perSecond) / 2 })) : idle;
  const realRate = GROUPS / realSeconds;
  const baseRate = GROUPS / baselineSeconds;
  const out = [
    `import (${GROUPS.toLocaleString('en')} customer groups, ${(bytes / 1e6).toFixed(0)} MB; generated in ${generateSeconds.toFixed(1)} s; import ${status})`,
    `  real path (upload, spool, validate, COPY, insert, one transaction): ${realSeconds.toFixed(1)} s = ${realRate.toFixed(0)} rows/s`,
    `  baseline (parse in Node, knex batchInsert x1000):                  ${baselineSeconds.toFixed(1)} s = ${baseRate.toFixed(0)} rows/s`,
    `  rows/s ratio real/baseline: ${(realRate / baseRate).toFixed(2)} (target >= 5)`,
    `  server peak RSS: ${peakRssMb.toFixed(0)} MB (target <= 256)`,
    `  GET idle:          ${fmt(idle)}`,
    `  GET during import: ${fmt(duringAll)}`,
    `  p99 ratio during/idle: ${(duringAll.p99 / idle.p99).toFixed(2)} (target <= 3)`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  await s.stop();
}
