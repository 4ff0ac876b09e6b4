import type { Knex } from 'knex';

/**
 * Platform tables: reached only by the auth and platform services, never by a tenant route.
 * They carry no row-level security; every other table does (see the next migration).
 */
export async function up(knex: Knex): Promise<void> {
  const apiGroup = await knex.raw("select 1 from pg_roles where rolname = 'kontor_api'");
  if (apiGroup.rows.length === 0) {
    throw new Error("The group role kontor_api must exist before migrating (see docs/operations.md).");
  }

  await knex.schema.createTable('tenants', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.boolean('is_vendor').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('deactivated_at', { useTz: true });
  });
  await knex.raw('create unique index tenants_name_unique on tenants (lower(name))');
  // Exactly one vendor tenant: the platform operator itself.
  await knex.raw('create unique index tenants_single_vendor on tenants (is_vendor) where is_vendor');

  await knex.schema.createTable('tenant_modules', (t) => {
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.text('module').notNullable();
    t.date('valid_until');
    t.primary(['tenant_id', 'module']);
  });
  await knex.raw("alter table tenant_modules add constraint tenant_modules_module check (module in ('segmentation', 'leasing'))");

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants');
    t.text('email').notNullable();
    t.text('name').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.integer('failed_login_count').notNullable().defaultTo(0);
    t.boolean('must_change_password').notNullable().defaultTo(false);
    t.timestamp('locked_at', { useTz: true });
    t.timestamp('last_login_at', { useTz: true });
    t.text('last_login_ip');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('deleted_at', { useTz: true });
  });
  await knex.raw("alter table users add constraint users_status check (status in ('active', 'locked', 'deleted'))");
  await knex.raw('create unique index users_email_unique on users (lower(email))');
  await knex.raw('create index users_tenant on users (tenant_id)');

  await knex.schema.createTable('password_credentials', (t) => {
    t.uuid('user_id').primary().references('id').inTable('users').onDelete('CASCADE');
    t.text('hash').notNullable();
    t.timestamp('changed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('roles', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('key').unique();
    t.text('name').notNullable().unique();
    t.boolean('builtin').notNullable().defaultTo(false);
    t.boolean('assignable_in_tenants').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('role_rights', (t) => {
    t.uuid('role_id').notNullable().references('id').inTable('roles').onDelete('CASCADE');
    t.text('area').notNullable();
    t.text('access').notNullable();
    t.primary(['role_id', 'area', 'access']);
  });
  await knex.raw("alter table role_rights add constraint role_rights_access check (access in ('read', 'write'))");

  await knex.schema.createTable('vendor_grants', (t) => {
    t.uuid('user_id').notNullable().references('id').inTable('users');
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants');
    t.uuid('granted_by').references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['user_id', 'tenant_id']);
  });

  await knex.schema.createTable('invitation_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('token_hash').notNullable().unique();
    t.text('purpose').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw("alter table invitation_tokens add constraint invitation_tokens_purpose check (purpose in ('invitation', 'reset'))");

  await knex.schema.createTable('recovery_codes', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('code_hash').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('create index recovery_codes_user on recovery_codes (user_id)');

  // A failed login may have no tenant and no user: the unknown email is kept only as a keyed hash.
  await knex.schema.createTable('login_events', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.uuid('tenant_id').references('id').inTable('tenants');
    t.uuid('user_id').references('id').inTable('users');
    t.text('email_hash');
    t.text('outcome').notNullable();
    t.text('reason').notNullable();
    t.text('ip');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw("alter table login_events add constraint login_events_outcome check (outcome in ('success', 'failure'))");
  await knex.raw('create index login_events_tenant_time on login_events (tenant_id, created_at)');
  await knex.raw('create index login_events_user_time on login_events (user_id, created_at)');

  const statements = {
    'select, insert': 'grant select, insert on ?? to kontor_api',
    'select, insert, delete': 'grant select, insert, delete on ?? to kontor_api',
    'select, insert, update': 'grant select, insert, update on ?? to kontor_api',
    'select, insert, update, delete': 'grant select, insert, update, delete on ?? to kontor_api',
  } as const;
  const grants: [string, keyof typeof statements][] = [
    ['tenants', 'select, insert, update'],
    ['tenant_modules', 'select, insert, update, delete'],
    ['users', 'select, insert, update'],
    ['password_credentials', 'select, insert, update'],
    ['roles', 'select, insert, update, delete'],
    ['role_rights', 'select, insert, update, delete'],
    ['vendor_grants', 'select, insert, delete'],
    ['invitation_tokens', 'select, insert, update, delete'],
    ['recovery_codes', 'select, insert, update, delete'],
    ['login_events', 'select, insert, delete'],
  ];
  for (const [table, privileges] of grants) {
    await knex.raw(statements[privileges], [table]);
  }
  await knex.raw('grant usage on sequence login_events_id_seq to kontor_api');
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'login_events', 'recovery_codes', 'invitation_tokens', 'vendor_grants', 'role_rights', 'roles',
    'password_credentials', 'users', 'tenant_modules', 'tenants',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
