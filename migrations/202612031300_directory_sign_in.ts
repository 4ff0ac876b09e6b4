import type { Knex } from 'knex';

/**
 * Sign-in through the bank's directory (OpenID Connect or LDAP) and with passkeys (issue 21).
 *
 * - `tenant_directories`: one directory per bank. A platform table (read before any session
 *   exists: the sign-in page finds the bank by the email's domain); secrets are stored
 *   AES-256-GCM encrypted with the TOTP key, never in clear.
 * - `user_directory_links`: a Kontor user linked to the directory's subject (OIDC `sub`, LDAP DN)
 *   at the first directory sign-in; later sign-ins match by the link, never by email alone.
 * - `user_passkeys`: WebAuthn credentials (public key, signature counter, backup flags). A passkey
 *   counts as a second factor, so the per-request check's `has_factor` now includes them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tenant_directories', (t) => {
    t.uuid('tenant_id').primary().references('id').inTable('tenants').onDelete('CASCADE');
    t.text('method').notNullable();
    t.specificType('email_domains', 'text[]').notNullable().defaultTo('{}');
    t.boolean('required').notNullable().defaultTo(false);
    t.boolean('jit').notNullable().defaultTo(false);
    t.jsonb('group_roles').notNullable().defaultTo('{}');
    t.text('oidc_issuer');
    t.text('oidc_client_id');
    t.text('oidc_client_secret_enc');
    t.text('oidc_email_claim').notNullable().defaultTo('email');
    t.text('oidc_groups_claim');
    t.text('ldap_url');
    t.boolean('ldap_starttls').notNullable().defaultTo(false);
    t.text('ldap_ca_pem');
    t.text('ldap_bind_dn_template');
    t.text('ldap_search_base');
    t.text('ldap_search_filter');
    t.text('ldap_search_dn');
    t.text('ldap_search_password_enc');
    t.text('ldap_group_attribute').notNullable().defaultTo('memberOf');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw("alter table tenant_directories add constraint tenant_directories_method check (method in ('oidc', 'ldap'))");
  await knex.raw('create index tenant_directories_domains on tenant_directories using gin (email_domains)');
  await knex.raw('grant select, insert, update, delete on tenant_directories to kontor_api');

  await knex.schema.createTable('user_directory_links', (t) => {
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.text('method').notNullable();
    t.text('subject').notNullable();
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'method', 'subject']);
    t.unique(['user_id', 'method']);
  });
  await knex.raw('grant select, insert, delete on user_directory_links to kontor_api');

  await knex.schema.createTable('user_passkeys', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('credential_id').notNullable().unique();
    t.binary('public_key').notNullable();
    t.bigInteger('counter').notNullable().defaultTo(0);
    t.specificType('transports', 'text[]').notNullable().defaultTo('{}');
    t.text('device_type').notNullable();
    t.boolean('backed_up').notNullable();
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_used_at', { useTz: true });
  });
  await knex.raw('create index user_passkeys_user on user_passkeys (user_id)');
  await knex.raw('grant select, insert, update, delete on user_passkeys to kontor_api');

  await replaceRequestSession(knex, `exists (select 1 from user_totp f where f.user_id = s.user_id and f.confirmed_at is not null)
                 or exists (select 1 from user_passkeys k where k.user_id = s.user_id)`);
}

/** kontor_request_session as in 202611251920, with `has_factor` computed by `hasFactor`. */
async function replaceRequestSession(knex: Knex, hasFactor: string): Promise<void> {
  await knex.raw('drop function kontor_request_session(uuid, uuid, timestamptz, boolean, integer, integer)');
  await knex.raw(`
    create function kontor_request_session(
      p_tenant uuid, p_session uuid, p_now timestamptz, p_touch boolean, p_granularity_seconds integer, p_default_idle integer
    ) returns table (
      user_id uuid, last_activity_at timestamptz, absolute_expires_at timestamptz, idle_minutes integer,
      status text, must_change_password boolean, is_vendor boolean, tenant_active boolean, member boolean,
      rights text[], modules text[], mfa_verified boolean, has_factor boolean, mfa_required text
    )
    language plpgsql security invoker set search_path = public
    as $$
    #variable_conflict use_column
    declare
      v_idle integer;
    begin
      select coalesce((select ts.idle_minutes from tenant_settings ts where ts.tenant_id = p_tenant), p_default_idle) into v_idle;
      if p_touch then
        update sessions s set last_activity_at = p_now
          from users u, tenants t
         where s.tenant_id = p_tenant and s.id = p_session
           and u.id = s.user_id and u.status = 'active'
           and t.id = s.tenant_id and t.deactivated_at is null
           and p_now < s.last_activity_at + make_interval(mins => v_idle)
           and p_now < s.absolute_expires_at
           and s.last_activity_at < p_now - make_interval(secs => p_granularity_seconds);
      end if;
      return query
        select s.user_id, s.last_activity_at, s.absolute_expires_at, v_idle,
               u.status, u.must_change_password, t.is_vendor, (t.deactivated_at is null),
               exists (select 1 from memberships m where m.tenant_id = s.tenant_id and m.user_id = s.user_id),
               coalesce((select array_agg(distinct r.area || ':' || r.access)
                           from membership_roles mr join role_rights r on r.role_id = mr.role_id
                          where mr.tenant_id = s.tenant_id and mr.user_id = s.user_id), '{}'::text[]),
               coalesce((select array_agg(tm.module) from tenant_modules tm
                          where tm.tenant_id = s.tenant_id and (tm.valid_until is null or tm.valid_until >= (p_now at time zone 'UTC')::date)), '{}'::text[]),
               s.mfa_verified,
               (${hasFactor}),
               coalesce((select ts.mfa_required from tenant_settings ts where ts.tenant_id = s.tenant_id), 'none')
          from sessions s
          join users u on u.id = s.user_id
          join tenants t on t.id = s.tenant_id
         where s.tenant_id = p_tenant and s.id = p_session;
    end
    $$`);
  await knex.raw('revoke all on function kontor_request_session(uuid, uuid, timestamptz, boolean, integer, integer) from public');
  await knex.raw('grant execute on function kontor_request_session(uuid, uuid, timestamptz, boolean, integer, integer) to kontor_api');
}

export async function down(knex: Knex): Promise<void> {
  await replaceRequestSession(knex, 'exists (select 1 from user_totp f where f.user_id = s.user_id and f.confirmed_at is not null)');
  await knex.schema.dropTableIfExists('user_passkeys');
  await knex.schema.dropTableIfExists('user_directory_links');
  await knex.schema.dropTableIfExists('tenant_directories');
}
