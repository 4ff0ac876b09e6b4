import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { createKnex } from '../src/db/connection.js';
import { FolderMigrationSource } from '../src/db/migrations.js';
import { inTenant } from '../src/db/tenant-transaction.js';
import { ownerUrl } from './helpers/db.js';

/**
 * Banks that exist before the upgrade start in `notify` (issue 17), with or without a settings row
 * yet; banks created afterwards start in `approval`. A database of its own is migrated to the version
 * before 202612031500, filled, then migrated to the latest.
 */
const superUrl = process.env.KONTOR_TEST_SUPER_URL;
const BEFORE = '202612031500';

class MigrationsBefore extends FolderMigrationSource {
  override async getMigrations(): Promise<string[]> {
    return (await super.getMigrations()).filter((f) => f < BEFORE);
  }
}

const database = `kontor_access_${randomBytes(4).toString('hex')}`;
let admin: Knex;
let owner: Knex;

before(async () => {
  if (!superUrl) return;
  admin = createKnex(superUrl, 1);
  await admin.raw('create database ?? owner kontor_owner', [database]);
  const url = new URL(ownerUrl());
  url.pathname = `/${database}`;
  owner = createKnex(url.toString(), 1);
});

after(async () => {
  if (!superUrl) return;
  await owner.destroy();
  await admin.raw('drop database ?? with (force)', [database]);
  await admin.destroy();
});

async function modeOf(tenantId: string): Promise<string | undefined> {
  return inTenant(owner, tenantId, async (trx) => (await trx('tenant_settings').where({ tenant_id: tenantId }).first('access_mode'))?.access_mode as string | undefined);
}

describe('upgrading banks to vendor access modes', { skip: !superUrl && 'needs the embedded test cluster (KONTOR_TEST_SUPER_URL)' }, () => {
  it('puts every existing bank in notify, and new banks in approval', async () => {
    await owner.migrate.latest({ migrationSource: new MigrationsBefore() });
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
