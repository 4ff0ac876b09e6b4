import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The owner role of the e2e instance's embedded database, for what a browser test cannot wait for
 * (an access window's end: the shortest window is 15 minutes and the server has no clock to move).
 */
export async function ownerDatabase(): Promise<Knex> {
  const env = JSON.parse(process.env.E2E_CLI_ENV ?? '{}') as Record<string, string>;
  const dist = path.join(repoRoot, 'backend/dist/backend/src');
  // The server's own build: the same secrets file and connection settings the operator commands use.
  const { loadOrCreateSecrets } = (await import(path.join(dist, 'secrets.js'))) as { loadOrCreateSecrets: (home: string) => { pgOwnerPassword: string } };
  const { createKnex } = (await import(path.join(dist, 'db/connection.js'))) as { createKnex: (url: string, poolMax: number) => Knex };
  const { OWNER_ROLE, DATABASE_NAME } = (await import(path.join(dist, 'db/roles.js'))) as { OWNER_ROLE: string; DATABASE_NAME: string };
  const secrets = loadOrCreateSecrets(process.env.E2E_KONTOR_HOME!);
  return createKnex(`postgres://${OWNER_ROLE}:${encodeURIComponent(secrets.pgOwnerPassword)}@127.0.0.1:${env.KONTOR_PG_PORT}/${DATABASE_NAME}`, 1);
}

/** Sets a bank's vendor access mode as its admin would (the vendor's own test banks are `open`). */
export async function setAccessMode(db: Knex, bankName: string, mode: 'approval' | 'notify' | 'open'): Promise<void> {
  const { id } = (await db('tenants').where({ name: bankName }).first<{ id: string }>('id'));
  await db.transaction(async (trx) => {
    await trx.raw("select set_config('app.tenant_id', ?, true)", [id]);
    await trx('tenant_settings').where({ tenant_id: id }).update({ access_mode: mode });
  });
}
