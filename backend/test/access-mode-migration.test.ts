import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Knex } from 'knex';
import { FolderMigrationSource } from '../src/db/migrations.js';
import { inTenant } from '../src/db/tenant-transaction.js';
import { MigrationsBefore, superUrl, upgradeDatabase } from './helpers/upgrade-database.js';

/**
 * Banks that exist before the upgrade start in `notify` (issue 17), with or without a settings row
 * yet; banks created afterwards start in `approval`. A database of its own is migrated to the version
 * before 202612031500, filled, then migrated to the latest.
 */
const BEFORE = '202612031500';

let owner: Knex;
upgradeDatabase('kontor_access', (k) => (owner = k));

async function modeOf(tenantId: string): Promise<string | undefined> {
  return inTenant(owner, tenantId, async (trx) => (await trx('tenant_settings').where({ tenant_id: tenantId }).first('access_mode'))?.access_mode as string | undefined);
}

describe('upgrading banks to vendor access modes', { skip: !superUrl && 'needs the embedded test cluster (KONTOR_TEST_SUPER_URL)' }, () => {
  it('puts every existing bank in notify, and new banks in approval', async () => {
    await owner.migrate.latest({ migrationSource: new MigrationsBefore(BEFORE) });
    const insertTenant = async (name: string) => ((await owner('tenants').insert({ name }).returning('id'))[0] as { id: string }).id;
    const withRow = await insertTenant('Bank with settings');
    const withoutRow = await insertTenant('Bank without settings yet');
    await inTenant(owner, withRow, (trx) => trx('tenant_settings').insert({ tenant_id: withRow, idle_minutes: 20 }));

    await owner.migrate.latest({ migrationSource: new FolderMigrationSource() });
    assert.equal(await modeOf(withRow), 'notify');
    assert.equal(await modeOf(withoutRow), 'notify', 'a bank without a settings row gets one in notify');
    assert.equal(await inTenant(owner, withRow, async (trx) => (await trx('tenant_settings').where({ tenant_id: withRow }).first('idle_minutes')).idle_minutes), 20, 'other settings kept');

    const later = await insertTenant('Bank created after the upgrade');
    await inTenant(owner, later, (trx) => trx('tenant_settings').insert({ tenant_id: later }));
    assert.equal(await modeOf(later), 'approval');
  });
});
