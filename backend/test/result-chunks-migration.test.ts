import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Knex } from 'knex';
import { exportCsv, resultRows } from '../src/calculations/calculations-store.js';
import { BUILTIN_TEMPLATES } from '../src/calculations/definitions.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { inTenant, inWholeTenant } from '../src/db/tenant-transaction.js';
import { MigrationsBefore, superUrl, upgradeDatabase } from './helpers/upgrade-database.js';

/**
 * An installation that already holds results upgrades to result chunks (migration 202612011200)
 * without losing or reordering a row: a database of its own is migrated to the version before,
 * filled with results the old way (one row per group), then migrated to the latest.
 * Needs the embedded test cluster's superuser to create that database.
 */
const BEFORE_CHUNKS = '202612011200';

let owner: Knex;
upgradeDatabase('kontor_upgrade', (k) => (owner = k));

describe('upgrading results to chunks', { skip: !superUrl && 'needs the embedded test cluster (KONTOR_TEST_SUPER_URL)' }, () => {
  it('carries every result over, in byte order, split into chunks of 50 000', async () => {
    await owner.migrate.latest({ migrationSource: new MigrationsBefore(BEFORE_CHUNKS) });
    const [tenant] = await owner('tenants').insert({ name: 'Upgrade bank' }).returning('id');
    const tenantId = (tenant as { id: string }).id;
    const containerId = randomUUID();
    const segmentation = randomUUID();
    const leasing = randomUUID();
    const template = BUILTIN_TEMPLATES[0]!.definition;
    // 50 003 groups, so the last chunk holds three; ids whose byte order differs from a locale's.
    const ids = Array.from({ length: 50_003 }, (_, i) => (i === 0 ? 'Z_upper' : i === 1 ? 'a-lower' : i === 2 ? '-dash' : `G${String(i).padStart(6, '0')}`));
    await inTenant(owner, tenantId, async (trx) => {
      await trx('containers').insert({ tenant_id: tenantId, id: containerId, name: 'c' });
      for (const [id, kind] of [[segmentation, 'segmentation'], [leasing, 'leasing']] as const) {
        await trx('calculations').insert({ tenant_id: tenantId, id, container_id: containerId, kind, definition: JSON.stringify(template), status: 'succeeded', created_at: trx.fn.now() });
      }
      await trx.batchInsert('segmentation_results', ids.map((g, i) => ({
        tenant_id: tenantId, calculation_id: segmentation, group_id: g, kind: 'PK', branch: String(i % 7), segment_no: i % 8, segment: i % 8 ? template.segments[(i % 8) - 1]!.name : 'unassigned',
        kut: i % 8 ? template.segments[(i % 8) - 1]!.kut : 0, volume: `${i}.25`,
      })), 5000);
      await trx('leasing_results').insert(['K2', 'K1'].map((g, i) => ({
        tenant_id: tenantId, calculation_id: leasing, group_id: g, customer_type: 400 + i, branch: '1', industry: i ? null : '49.41', division: i ? null : 49, affinity: i ? 'other' : 'high',
        turnover: i ? null : '1000000.00', rating: i ? null : 3, part_leasing: 40, part_industry: i ? 5 : 25, part_turnover: i ? 5 : 20, part_investment: 0, score: i ? 50 : 85, class: i ? 'B' : 'A', potential: i ? 0 : 34000,
      })));
    });

    await migrateToLatest(owner);

    // After the upgrade the results sit in the bank's Gesamthaus (migration 202612031710).
    await inWholeTenant(owner, tenantId, async (trx) => {
      const chunks = await trx('segmentation_result_chunks').where({ tenant_id: tenantId, calculation_id: segmentation }).orderBy('chunk')
        .select('chunk', trx.raw('cardinality(group_ids) as n'), trx.raw('group_ids[1] as first'));
      assert.deepEqual(chunks.map((c) => [c.chunk, c.n]), [[0, 50_000], [1, 3]]);
      assert.equal(chunks[0].first, '-dash', 'byte order: - before digits before upper case before _ before lower case');
      const calc = { id: segmentation, kind: 'segmentation' as const, definition: template };
      const { csv, rows } = await exportCsv(trx, tenantId, calc);
      assert.equal(rows, 50_003);
      const lines = csv.trimEnd().split('\n');
      const expectedOrder = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      assert.deepEqual(lines.slice(1).map((l) => l.split(';')[0]), expectedOrder);
      const i = ids.indexOf('G000009');
      assert.equal(lines[expectedOrder.indexOf('G000009') + 1], `G000009;${template.segments[(i % 8) - 1]!.name};${template.segments[(i % 8) - 1]!.kut}`);
      // Plain pages are read from the one or two chunks that hold them: one across the boundary, one past the end.
      const across = await resultRows(trx, tenantId, calc, { page: 10_000, pageSize: 5, sort: 'group_id' });
      assert.equal(across.total, 50_003);
      assert.deepEqual(across.items.map((r) => r.group_id), expectedOrder.slice(49_995, 50_000));
      const boundary = await resultRows(trx, tenantId, calc, { page: 5_000, pageSize: 10, sort: 'group_id' });
      assert.deepEqual(boundary.items.map((r) => r.group_id), expectedOrder.slice(49_990, 50_000));
      const last = await resultRows(trx, tenantId, calc, { page: 2_500, pageSize: 20, sort: 'group_id' });
      assert.deepEqual(last.items.map((r) => r.group_id), expectedOrder.slice(49_980, 50_000));
      const spanning = await resultRows(trx, tenantId, calc, { page: 3_334, pageSize: 15, sort: 'group_id' });
      assert.deepEqual(spanning.items.map((r) => r.group_id), expectedOrder.slice(49_995, 50_003));
      assert.deepEqual((await resultRows(trx, tenantId, calc, { page: 9_999, pageSize: 10, sort: 'group_id' })).items, []);
      const page = await resultRows(trx, tenantId, calc, { page: 1, pageSize: 2, sort: 'group_id', groupId: 'G00001' });
      assert.equal(page.total, 10);
      assert.deepEqual(page.items.map((r) => [r.group_id, r.volume]), [['G000010', '10.25'], ['G000011', '11.25']]);

      const lease = await exportCsv(trx, tenantId, { id: leasing, kind: 'leasing', definition: {} });
      assert.equal(lease.csv, 'group_id;score;class;potential\nK1;50;B;0\nK2;85;A;34000\n');
      assert.equal(await trx.schema.hasTable('segmentation_results'), false);
      assert.equal(await trx.schema.hasTable('leasing_results'), false);
    });
  });
});
