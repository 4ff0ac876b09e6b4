import type { Knex } from 'knex';

/**
 * How far each hash chain has been shipped to syslog (AUDIT_SYSLOG_URL). A chain's seq becomes
 * visible strictly in order (the insert trigger holds the chain head's row lock until commit), so
 * "last shipped seq" per chain never skips a row. Platform table: it carries no customer data.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('log_shipping_positions', (t) => {
    t.text('stream').primary();
    t.bigInteger('last_seq').notNullable();
    t.timestamp('shipped_at', { useTz: true }).notNullable();
  });
  await knex.raw('grant select, insert, update on log_shipping_positions to kontor_api');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('log_shipping_positions');
}
