import type { Knex } from 'knex';

/** When the 30-day retention warning for a container was mailed, so it is sent once per period. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('containers', (t) => {
    t.timestamp('retention_warned_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('containers', (t) => t.dropColumn('retention_warned_at'));
}
