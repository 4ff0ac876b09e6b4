import type { Knex } from 'knex';

/**
 * Each running instance's fingerprint of the cluster keys (session secret, sign-in event key,
 * second-factor key, checkpoint signing key; a hash of their hashes, never a key): an instance
 * whose keys differ from the live instances' refuses to start instead of silently rejecting their
 * sessions, counting throttles apart and failing every second factor (docs/scaling.md).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('app_instances', (t) => {
    t.text('key_fingerprint');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('app_instances', (t) => {
    t.dropColumn('key_fingerprint');
  });
}
