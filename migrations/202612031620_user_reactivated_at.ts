import type { Knex } from 'knex';

/** When an admin last reactivated a dormant account: the inactivity clock starts again from there. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table users add column reactivated_at timestamptz');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table users drop column reactivated_at');
}
