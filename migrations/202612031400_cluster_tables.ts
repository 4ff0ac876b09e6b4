import type { Knex } from 'knex';

/**
 * What several API instances share beside the job library's own schema (issue 19). Platform
 * tables without tenant data:
 * - `app_instances`: each running instance, its job workers and its heartbeat. A job whose worker
 *   belongs to no instance with a fresh heartbeat is failed by whichever instance notices.
 * - `maintenance_runs`: when each periodic task last ran in the cluster, so a daily run is claimed
 *   once (one atomic UPDATE) however many instances there are.
 * - `rate_limits`: the shared sign-in and recovery throttles (rate-limiter-flexible's PostgreSQL
 *   store, in its own layout; keys are HMACs of the client address, never the address itself).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('app_instances', (t) => {
    t.uuid('id').primary();
    t.specificType('worker_ids', 'text[]').notNullable().defaultTo(knex.raw("'{}'::text[]"));
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('heartbeat_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('maintenance_runs', (t) => {
    t.text('task').primary();
    t.timestamp('last_run_at', { useTz: true }).notNullable();
  });
  await knex.raw(`create table rate_limits (
    key varchar(255) primary key,
    points integer not null default 0,
    expire bigint
  )`);
  await knex.raw('grant select, insert, update, delete on app_instances, maintenance_runs, rate_limits to kontor_api');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('rate_limits');
  await knex.schema.dropTableIfExists('maintenance_runs');
  await knex.schema.dropTableIfExists('app_instances');
}
