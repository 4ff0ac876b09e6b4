import type { Knex } from 'knex';

/**
 * Why a session ended, kept for a short while after its row is gone, so the next request on it can
 * say so (401 session_expired with a reason) instead of a bare "signed out". One row per ended
 * session, removed by the session purge once no token naming it can still be presented. Tenant-owned
 * like sessions: RLS enabled and forced with the same policy; the API may insert, read and delete.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('session_ends', (t) => {
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.uuid('session_id').notNullable();
    t.text('reason').notNullable();
    t.timestamp('ended_at', { useTz: true }).notNullable();
    t.primary(['tenant_id', 'session_id']);
  });
  await knex.raw("alter table session_ends add constraint session_ends_reason check (reason in ('idle', 'absolute', 'ended_by_admin', 'signed_out', 'password_changed', 'rights_changed', 'account_disabled', 'access_ended'))");
  await knex.raw('create index session_ends_ended_at on session_ends (tenant_id, ended_at)');
  await knex.raw('alter table session_ends enable row level security');
  await knex.raw('alter table session_ends force row level security');
  await knex.raw("create policy tenant_isolation on session_ends using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)");
  await knex.raw('grant select, insert, delete on session_ends to kontor_api');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('session_ends');
}
