import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Knex } from 'knex';
import { migrateToLatest } from '../src/db/migrations.js';
import { setRequestDepartments } from '../src/departments/departments-store.js';
import { MigrationsBefore, superUrl, upgradeDatabase } from './helpers/upgrade-database.js';

/**
 * Upgrading to departments changes nothing anyone sees (migrations 2026120317xx): a database of
 * the version before, holding banks with containers, data, runs, templates and users (a vendor
 * user with a grant among them), is migrated to the latest; then every user, with the departments
 * a request of theirs gets, sees exactly the containers, data and templates they saw before.
 * Needs the embedded test cluster's superuser to create that database.
 */
const BEFORE_DEPARTMENTS = '202612031700';

let owner: Knex;
upgradeDatabase('kontor_departments', (k) => (owner = k));

interface Seen {
  containers: string[];
  groups: number;
  calculations: number;
  templates: string[];
}

/** What a transaction of the bank sees; `asUser` sets that user's request departments first (after the upgrade). */
async function seen(tenantId: string, asUser?: string): Promise<Seen> {
  return owner.transaction(async (trx) => {
    await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
    if (asUser) await setRequestDepartments(trx, tenantId, asUser, new Date());
    return {
      containers: ((await trx('containers').orderBy('id').pluck('id')) as string[]),
      groups: Number(((await trx('customer_groups').count('* as n').first()) as { n: string }).n),
      calculations: Number(((await trx('calculations').count('* as n').first()) as { n: string }).n),
      templates: ((await trx('segmentation_templates').orderBy('id').pluck('id')) as string[]),
    };
  });
}

describe('upgrading to departments', { skip: !superUrl && 'needs the embedded test cluster (KONTOR_TEST_SUPER_URL)' }, () => {
  it('puts everything and everyone of a bank into its Gesamthaus, so every user sees what they saw before', async () => {
    await owner.migrate.latest({ migrationSource: new MigrationsBefore(BEFORE_DEPARTMENTS) });
    const [vendor] = await owner('tenants').insert({ name: 'Vendor', is_vendor: true }).returning('id');
    const vendorId = (vendor as { id: string }).id;
    const [vendorUser] = await owner('users').insert({ tenant_id: vendorId, email: 'support@vendor.example', name: 'Support' }).returning('id');
    const supportId = (vendorUser as { id: string }).id;
    const analyst = (await owner('roles').where({ key: 'analyst' }).first<{ id: string }>('id')).id;
    const banks: { tenantId: string; users: string[] }[] = [];
    for (const name of ['Sparkasse Nord', 'Sparkasse Süd']) {
      const [t] = await owner('tenants').insert({ name }).returning('id');
      const tenantId = (t as { id: string }).id;
      const users: string[] = [];
      for (let i = 0; i < 3; i++) {
        const [u] = await owner('users').insert({ tenant_id: tenantId, email: `p${i}-${randomUUID()}@bank.example`, name: `P${i}` }).returning('id');
        users.push((u as { id: string }).id);
      }
      await owner('vendor_grants').insert({ user_id: supportId, tenant_id: tenantId });
      // The support user is inside an approved access window, which the upgrade keeps open on every department.
      const now = Date.now();
      await owner('access_requests').insert({
        tenant_id: tenantId, requester_id: supportId, reason: 'Ticket 1: a visit under way', minutes: 60, mode: 'approval', status: 'approved',
        created_at: new Date(now - 120_000), decided_at: new Date(now - 60_000), starts_at: new Date(now - 60_000), ends_at: new Date(now + 3_540_000),
      });
      await owner.transaction(async (trx) => {
        await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
        for (const userId of [...users, supportId]) {
          await trx('memberships').insert({ tenant_id: tenantId, user_id: userId });
          await trx('membership_roles').insert({ tenant_id: tenantId, user_id: userId, role_id: analyst });
        }
        for (let c = 0; c < 3; c++) {
          const containerId = randomUUID();
          await trx('containers').insert({ tenant_id: tenantId, id: containerId, name: `Bestand ${c}`, groups_count: 2 });
          await trx('customer_groups').insert(['G1', 'G2'].map((g) => ({
            tenant_id: tenantId, container_id: containerId, group_id: g, kind: 'PK', customer_type: 100, branch: '1', postcode: '12345', age: 40, negative_flag: false, online_logins_12m: 0,
          })));
          await trx('calculations').insert({ tenant_id: tenantId, id: randomUUID(), container_id: containerId, kind: 'leasing', definition: '{}', status: 'succeeded', created_at: new Date() });
          await trx('imports').insert({ tenant_id: tenantId, id: randomUUID(), container_id: containerId, kind: 'customer_groups', status: 'succeeded', created_at: new Date() });
        }
        await trx('segmentation_templates').insert({ tenant_id: tenantId, id: randomUUID(), name: 'Vorlage', definition: '{}', created_at: new Date(), updated_at: new Date() });
      });
      banks.push({ tenantId, users: [...users, supportId] });
    }
    const before = new Map<string, Seen>();
    for (const bank of banks) before.set(bank.tenantId, await seen(bank.tenantId));
    for (const s of before.values()) assert.deepEqual([s.containers.length, s.groups, s.calculations, s.templates.length], [3, 6, 3, 1]);

    await migrateToLatest(owner);

    for (const bank of banks) {
      for (const userId of bank.users) {
        assert.deepEqual(await seen(bank.tenantId, userId), before.get(bank.tenantId), `user ${userId} of ${bank.tenantId} sees something else`);
      }
      // Without a department nothing is visible any more: the equality above is the departments' doing.
      assert.deepEqual(await seen(bank.tenantId), { containers: [], groups: 0, calculations: 0, templates: [] });
      const departments = await owner.transaction(async (trx) => {
        await trx.raw("select set_config('app.tenant_id', ?, true)", [bank.tenantId]);
        return trx('departments').select('name');
      });
      assert.deepEqual(departments, [{ name: 'Gesamthaus' }]);
    }
  });
});
