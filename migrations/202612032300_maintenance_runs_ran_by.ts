import type { Knex } from 'knex';

/**
 * Which instance (`app_instances.id`, the job queue's instance id) ran each periodic task last:
 * shows the operator where retention ran, and lets the tests see the slot move to another
 * instance when the leader stops. Null until the task first runs (the first claim only starts the clock).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('maintenance_runs', (t) => {
    t.uuid('ran_by');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('maintenance_runs', (t) => {
    t.dropColumn('ran_by');
  });
}
