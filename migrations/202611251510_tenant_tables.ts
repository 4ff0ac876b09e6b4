import type { Knex } from 'knex';

/**
 * Tenant-owned tables: `tenant_id` leads every primary and foreign key between them, and each has
 * row-level security ENABLEd and FORCEd with a single policy. A missing or empty `app.tenant_id`
 * compares as NULL and so matches nothing (after a transaction-local set_config ends, Postgres
 * leaves the placeholder as '' rather than unset, hence NULLIF).
 */
const TENANT_POLICY = "create policy tenant_isolation on ?? using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)";

/** The API's privileges, each a whole literal statement (only the table name is bound). */
const GRANTS = {
  'select, insert': 'grant select, insert on ?? to kontor_api',
  'select, insert, delete': 'grant select, insert, delete on ?? to kontor_api',
  'select, insert, update': 'grant select, insert, update on ?? to kontor_api',
  'select, insert, update, delete': 'grant select, insert, update, delete on ?? to kontor_api',
} as const;

async function isolate(knex: Knex, table: string, privileges: keyof typeof GRANTS): Promise<void> {
  await knex.raw('alter table ?? enable row level security', [table]);
  await knex.raw('alter table ?? force row level security', [table]);
  await knex.raw(TENANT_POLICY, [table]);
  await knex.raw(GRANTS[privileges], [table]);
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tenant_settings', (t) => {
    t.uuid('tenant_id').primary().references('id').inTable('tenants').onDelete('CASCADE');
    t.integer('idle_minutes').notNullable().defaultTo(30);
    t.integer('absolute_hours').notNullable().defaultTo(8);
    t.text('password_profile').notNullable().defaultTo('standard');
    t.integer('retention_days').notNullable().defaultTo(1095);
    t.text('mfa_required').notNullable().defaultTo('none');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('alter table tenant_settings add constraint tenant_settings_idle check (idle_minutes between 1 and 120)');
  await knex.raw('alter table tenant_settings add constraint tenant_settings_absolute check (absolute_hours between 1 and 24)');
  await knex.raw("alter table tenant_settings add constraint tenant_settings_profile check (password_profile in ('standard', 'classic'))");
  await knex.raw('alter table tenant_settings add constraint tenant_settings_retention check (retention_days between 30 and 3650)');
  await knex.raw("alter table tenant_settings add constraint tenant_settings_mfa check (mfa_required in ('none', 'admins', 'all'))");
  await isolate(knex, 'tenant_settings', 'select, insert, update');

  await knex.schema.createTable('memberships', (t) => {
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'user_id']);
  });
  await knex.raw('create index memberships_user on memberships (user_id)');
  await isolate(knex, 'memberships', 'select, insert, delete');

  await knex.schema.createTable('membership_roles', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('user_id').notNullable();
    t.uuid('role_id').notNullable().references('id').inTable('roles');
    t.primary(['tenant_id', 'user_id', 'role_id']);
    t.foreign(['tenant_id', 'user_id']).references(['tenant_id', 'user_id']).inTable('memberships').onDelete('CASCADE');
  });
  await isolate(knex, 'membership_roles', 'select, insert, delete');

  await knex.schema.createTable('sessions', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_activity_at', { useTz: true }).notNullable();
    t.timestamp('absolute_expires_at', { useTz: true }).notNullable();
    t.text('ip');
    t.text('user_agent');
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'user_id']).references(['tenant_id', 'user_id']).inTable('memberships').onDelete('CASCADE');
  });
  await knex.raw('create index sessions_user on sessions (tenant_id, user_id)');
  await isolate(knex, 'sessions', 'select, insert, update, delete');

  await knex.schema.createTable('audit_events', (t) => {
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.bigInteger('id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.uuid('actor_user_id').references('id').inTable('users');
    t.text('type').notNullable();
    t.text('level').notNullable().defaultTo('info');
    t.text('subject_type');
    t.text('subject_id');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.uuid('request_id');
    t.text('ip');
    t.primary(['tenant_id', 'id']);
  });
  await knex.raw('alter table audit_events alter column id add generated always as identity');
  await knex.raw("alter table audit_events add constraint audit_events_level check (level in ('info', 'error'))");
  await knex.raw('create index audit_events_time on audit_events (tenant_id, created_at)');
  await isolate(knex, 'audit_events', 'select, insert, delete');

  await knex.schema.createTable('containers', (t) => {
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.boolean('locked').notNullable().defaultTo(false);
    t.uuid('created_by').references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_import_at', { useTz: true });
    t.timestamp('last_calculated_at', { useTz: true });
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'name']);
  });
  await isolate(knex, 'containers', 'select, insert, update, delete');
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['containers', 'audit_events', 'sessions', 'membership_roles', 'memberships', 'tenant_settings']) {
    await knex.schema.dropTableIfExists(table);
  }
}
