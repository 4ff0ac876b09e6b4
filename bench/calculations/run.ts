/**
 * bench/calculations: each calculation on a generated container, timed through the API (start →
 * succeeded), against the floor PostgreSQL needs for a plain scan aggregate over the same rows
 * joined the same way (count and sum, as the API role, in the tenant's transaction), measured in
 * the same run. Target: each calculation ≤ 5 × its floor.
 * Also timed: each calculation started the moment its import finished (no vacuum, no wait for
 * autovacuum), which must stay within the same bound because the import leaves statistics current.
 * Run: npm run bench:calculations [-- --groups N]   (default 1 000 000; not a test, never gates CI)
 */
import fs from 'node:fs';
import path from 'node:path';
import { inWholeTenant } from '../../backend/src/db/tenant-transaction.js';
import { newContainer, startBenchServer, waitUntilDone, type BenchServer } from '../lib/server.js';

const groupsArg = process.argv.indexOf('--groups');
const GROUPS = groupsArg > 0 ? Number(process.argv[groupsArg + 1]) : 1_000_000;
const ROUNDS = 3;

async function importFile(s: BenchServer, containerId: string, kind: string, file: string): Promise<void> {
  const res = await fetch(`${s.base}/api/containers/${containerId}/imports/${kind}`, {
    method: 'POST', headers: { ...s.headers, 'content-type': 'text/csv' }, body: fs.createReadStream(file) as unknown as BodyInit, duplex: 'half',
  } as RequestInit);
  const { id } = (await res.json()) as { id: string };
  const status = await waitUntilDone(s, `/imports/${id}`, 50);
  if (status !== 'succeeded') throw new Error(`import of ${kind} ${status}`);
}

async function calculate(s: BenchServer, body: Record<string, unknown>): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${s.base}/api/calculations`, { method: 'POST', headers: { ...s.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const { id } = (await res.json()) as { id: string };
  const status = await waitUntilDone(s, `/calculations/${id}`, 50);
  if (status !== 'succeeded') throw new Error(`calculation ${status}`);
  const seconds = (performance.now() - started) / 1000;
  // Runs are kept apart: the next round starts from the same state.
  await fetch(`${s.base}/api/calculations/${id}`, { method: 'DELETE', headers: s.headers });
  return seconds;
}

/** The best of a few rounds, so a cold cache or a checkpoint does not decide the ratio. */
async function best(rounds: number, f: () => Promise<number>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < rounds; i++) min = Math.min(min, await f());
  return min;
}

const FLOOR = {
  // The rows segmentation reads: every group with its products.
  segmentation: `select count(*), sum(p.balance) from customer_groups g
    left join products p on p.tenant_id = g.tenant_id and p.container_id = g.container_id and p.group_id = g.group_id
    where g.tenant_id = ? and g.container_id = ?`,
  // The rows leasing reads: business groups with their payments and products.
  leasing: `select count(*), sum(y.sum_12m), sum(p.balance) from customer_groups g
    left join payments y on y.tenant_id = g.tenant_id and y.container_id = g.container_id and y.group_id = g.group_id
    left join products p on p.tenant_id = g.tenant_id and p.container_id = g.container_id and p.group_id = g.group_id and p.product_group = 'INVESTMENT_LOAN'
    where g.tenant_id = ? and g.container_id = ? and g.kind = 'FK'`,
};

const s = await startBenchServer('calculations');
try {
  const data = path.join(s.home, 'data');
  s.cli('generate', '--groups', String(GROUPS), '--seed', '42', '--out', data);
  const containerId = await newContainer(s, 'bench calculations');
  const i0 = performance.now();
  for (const kind of ['customer_groups', 'products', 'payments']) await importFile(s, containerId, kind, path.join(data, `${kind}.csv`));
  const importSeconds = (performance.now() - i0) / 1000;
  // Right after the import, before anything else touches the statistics (issue 13 item 6).
  const bodies = {
    segmentation: { containerId, kind: 'segmentation', templateId: '00000000-0000-4000-8000-00000000a001' },
    leasing: { containerId, kind: 'leasing' },
  } as const;
  const fresh = { segmentation: await calculate(s, bodies.segmentation), leasing: await calculate(s, bodies.leasing) };
  const counts = await inWholeTenant(s.api, s.tenantId, (trx) => trx('containers').where({ tenant_id: s.tenantId, id: containerId }).first('groups_count', 'products_count', 'payments_count'));
  await s.owner.raw('vacuum analyze customer_groups, products, payments');

  const floor = async (sql: string) => {
    const t0 = performance.now();
    await inWholeTenant(s.api, s.tenantId, (trx) => trx.raw(sql, [s.tenantId, containerId]));
    return (performance.now() - t0) / 1000;
  };
  const lines = [
    `calculations (${GROUPS.toLocaleString('en')} customer groups, ${Number(counts.products_count).toLocaleString('en')} products, ${Number(counts.payments_count).toLocaleString('en')} payments; imported in ${importSeconds.toFixed(1)} s; best of ${ROUNDS})`,
  ];
  for (const kind of ['segmentation', 'leasing'] as const) {
    const floorSeconds = await best(ROUNDS, () => floor(FLOOR[kind]));
    const runSeconds = await best(ROUNDS, () => calculate(s, bodies[kind]));
    lines.push(`  ${kind.padEnd(12)} run ${runSeconds.toFixed(2)} s, scan-aggregate floor ${floorSeconds.toFixed(2)} s: ratio ${(runSeconds / floorSeconds).toFixed(2)} (target <= 5)`);
    lines.push(`  ${kind.padEnd(12)} right after import ${fresh[kind].toFixed(2)} s: ratio ${(fresh[kind] / floorSeconds).toFixed(2)} (target <= 5)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await s.stop();
}
