import type { Knex } from 'knex';

/**
 * An import ends with ANALYZE of the tables it wrote, so the next calculation is planned from
 * current statistics. ANALYZE needs ownership or, from PostgreSQL 17, the MAINTAIN privilege;
 * on an older server there is nothing to grant (ANALYZE then only warns and autovacuum catches up).
 */
const TABLES = ['customer_groups', 'products', 'payments'];

async function hasMaintain(knex: Knex): Promise<boolean> {
  const { rows } = await knex.raw<{ rows: { v: string }[] }>("select current_setting('server_version_num') as v");
  return Number(rows[0]!.v) >= 170000;
}

export async function up(knex: Knex): Promise<void> {
  if (!(await hasMaintain(knex))) return;
  for (const table of TABLES) await knex.raw('grant maintain on ?? to kontor_api', [table]);
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasMaintain(knex))) return;
  for (const table of TABLES) await knex.raw('revoke maintain on ?? from kontor_api', [table]);
}
