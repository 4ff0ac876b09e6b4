import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/connection.js';
import { FolderMigrationSource } from '../../src/db/migrations.js';
import { ownerUrl } from './db.js';

/** The embedded test cluster's superuser: upgrade tests need it to create a database of their own. */
export const superUrl = process.env.KONTOR_TEST_SUPER_URL;

/** The migrations before `first`: the version an upgrade test starts from. */
export class MigrationsBefore extends FolderMigrationSource {
  constructor(private readonly first: string) {
    super();
  }

  override async getMigrations(): Promise<string[]> {
    return (await super.getMigrations()).filter((f) => f < this.first);
  }
}

/**
 * A database of its own for an upgrade test, owned by kontor_owner: created before the file's tests
 * and dropped after them, so that migrating it to an older version disturbs no other test.
 * `onOwner` receives the owner's connection to it.
 */
export function upgradeDatabase(prefix: string, onOwner: (owner: Knex) => void): void {
  const database = `${prefix}_${randomBytes(4).toString('hex')}`;
  let admin: Knex | undefined;
  let owner: Knex | undefined;
  before(async () => {
    if (!superUrl) return;
    admin = createKnex(superUrl, 1);
    await admin.raw('create database ?? owner kontor_owner', [database]);
    const url = new URL(ownerUrl());
    url.pathname = `/${database}`;
    owner = createKnex(url.toString(), 1);
    onOwner(owner);
  });
  after(async () => {
    if (!admin) return;
    await owner?.destroy();
    await admin.raw('drop database ?? with (force)', [database]);
    await admin.destroy();
  });
}
