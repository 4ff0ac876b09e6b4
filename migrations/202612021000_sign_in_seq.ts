import type { Knex } from 'knex';

/**
 * A counter of successful sign-ins per user. A second-factor challenge carries the value it was
 * issued at, and the sign-in that completes it advances the counter in the same statement that
 * decides the success: a challenge is single use, and a newer sign-in retires older challenges
 * (issue 13, item 13).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.bigInteger('sign_in_seq').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('sign_in_seq');
  });
}
