import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Knex } from 'knex';
import { FolderMigrationSource } from '../src/db/migrations.js';
import { inTenant } from '../src/db/tenant-transaction.js';
import { MigrationsBefore, superUrl, upgradeDatabase } from './helpers/upgrade-database.js';

/**
 * Upgrading to four-eyes (migration 202612031600): banks that exist keep today's behaviour (off,
 * the vendor decides per bank), a bank created afterwards starts with it on. A database of its own
 * is migrated to the version before, given a bank, then migrated to the latest.
 */
const BEFORE_FOUR_EYES = '202612031600';

let owner: Knex;
upgradeDatabase('kontor_upgrade', (k) => (owner = k));

async function settingsOf(tenantId: string): Promise<Record<string, unknown>> {
  return inTenant(owner, tenantId, (trx) => trx('tenant_settings').where({ tenant_id: tenantId }).first());
}

describe('upgrading to four-eyes and recertification', { skip: !superUrl && 'needs the embedded test cluster (KONTOR_TEST_SUPER_URL)' }, () => {
  it('keeps four-eyes off for existing banks and turns it on for new ones; recertification defaults apply to all', async () => {
    await owner.migrate.latest({ migrationSource: new MigrationsBefore(BEFORE_FOUR_EYES) });
    const [old] = await owner('tenants').insert({ name: 'Existing bank' }).returning('id');
    const oldId = (old as { id: string }).id;
    await inTenant(owner, oldId, (trx) => trx('tenant_settings').insert({ tenant_id: oldId, idle_minutes: 45 }));

    await owner.migrate.latest({ migrationSource: new FolderMigrationSource() });
    const before = await settingsOf(oldId);
    assert.equal(before.four_eyes, false, 'an existing bank keeps changes applying at once');
    assert.equal(before.idle_minutes, 45);
    assert.equal(before.inactive_days, 90);
    assert.equal(before.recert_admin_months, 6);
    assert.equal(before.recert_all_months, 12);

    const [fresh] = await owner('tenants').insert({ name: 'New bank' }).returning('id');
    const freshId = (fresh as { id: string }).id;
    await inTenant(owner, freshId, (trx) => trx('tenant_settings').insert({ tenant_id: freshId }));
    assert.equal((await settingsOf(freshId)).four_eyes, true, 'a new bank starts with four-eyes on');
  });
});
