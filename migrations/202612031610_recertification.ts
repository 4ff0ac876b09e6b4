import type { Knex } from 'knex';

const TENANT_POLICY = "create policy tenant_isolation on ?? using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)";

async function tenantTable(knex: Knex, table: string): Promise<void> {
  await knex.raw('alter table ?? enable row level security', [table]);
  await knex.raw('alter table ?? force row level security', [table]);
  await knex.raw(TENANT_POLICY, [table]);
  await knex.raw('grant select, insert, update on ?? to kontor_api', [table]);
}

/**
 * Recertification campaigns and deactivation of dormant accounts (issue 17 item 3). A campaign
 * snapshots every active user with their roles; each item is decided once (confirm | revoke).
 * `users.deactivated_at` marks an account switched off for not signing in: it is also `locked`
 * (so sessions and sign-in refuse it at once) but, unlike a lock-out, only an admin lifts it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table tenant_settings add column inactive_days integer not null default 90');
  await knex.raw('alter table tenant_settings add constraint tenant_settings_inactive_days check (inactive_days between 14 and 3650)');
  await knex.raw('alter table tenant_settings add column recert_admin_months integer not null default 6');
  await knex.raw('alter table tenant_settings add constraint tenant_settings_recert_admin_months check (recert_admin_months between 1 and 24)');
  await knex.raw('alter table tenant_settings add column recert_all_months integer not null default 12');
  await knex.raw('alter table tenant_settings add constraint tenant_settings_recert_all_months check (recert_all_months between 1 and 36)');

  await knex.raw('alter table users add column deactivated_at timestamptz');
  await knex.raw('alter table users add column deactivation_warned_at timestamptz');

  await knex.schema.createTable('recertifications', (t) => {
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.uuid('id').notNullable();
    /** `admins`: holders of users/settings/audit rights; `all`: every active user. */
    t.text('scope').notNullable();
    t.uuid('started_by');
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('due_at', { useTz: true }).notNullable();
    t.timestamp('closed_at', { useTz: true });
    t.timestamp('reminded_at', { useTz: true });
    t.primary(['tenant_id', 'id']);
  });
  await knex.raw("alter table recertifications add constraint recertifications_scope check (scope in ('admins', 'all'))");
  await tenantTable(knex, 'recertifications');

  await knex.schema.createTable('recertification_items', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('recertification_id').notNullable();
    t.uuid('user_id').notNullable().references('id').inTable('users');
    t.text('email').notNullable();
    t.text('role_names').notNullable();
    t.text('decision');
    t.uuid('decided_by');
    t.timestamp('decided_at', { useTz: true });
    /** Set when a revocation waits for a second admin (four-eyes). */
    t.uuid('approval_id');
    t.primary(['tenant_id', 'recertification_id', 'user_id']);
    t.foreign(['tenant_id', 'recertification_id']).references(['tenant_id', 'id']).inTable('recertifications').onDelete('CASCADE');
  });
  await knex.raw("alter table recertification_items add constraint recertification_items_decision check (decision in ('confirm', 'revoke'))");
  await tenantTable(knex, 'recertification_items');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('recertification_items');
  await knex.schema.dropTableIfExists('recertifications');
  await knex.raw('alter table users drop column deactivated_at, drop column deactivation_warned_at');
  await knex.raw('alter table tenant_settings drop column inactive_days, drop column recert_admin_months, drop column recert_all_months');
}
