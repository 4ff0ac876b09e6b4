import type { Knex } from 'knex';

/**
 * TOTP second factor (RFC 6238). Platform tables, like the password credentials: a factor belongs
 * to a person, not to a bank. The seed is stored encrypted (AES-256-GCM, key in secrets.json); the
 * last accepted time step makes every code single use; recovery codes are stored as keyed hashes
 * (≥ 120 bits each). Sessions remember whether they passed the second factor, and the per-request
 * check returns that along with the tenant's requirement.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_totp', (t) => {
    t.uuid('user_id').primary().references('id').inTable('users');
    t.text('secret_enc').notNullable();
    t.timestamp('confirmed_at', { useTz: true });
    t.bigInteger('last_step');
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
  await knex.schema.createTable('user_recovery_codes', (t) => {
    t.uuid('user_id').notNullable().references('id').inTable('users');
    t.text('code_hash').notNullable();
    t.timestamp('used_at', { useTz: true });
    t.primary(['user_id', 'code_hash']);
  });
  await knex.raw('grant select, insert, update, delete on user_totp to kontor_api');
  await knex.raw('grant select, insert, update, delete on user_recovery_codes to kontor_api');
  await knex.schema.alterTable('sessions', (t) => {
    t.boolean('mfa_verified').notNullable().defaultTo(false);
  });

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
               exists (select 1 from user_totp f where f.user_id = s.user_id and f.confirmed_at is not null),
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
  await knex.schema.alterTable('sessions', (t) => t.dropColumn('mfa_verified'));
  await knex.schema.dropTableIfExists('user_recovery_codes');
  await knex.schema.dropTableIfExists('user_totp');
  // The previous kontor_request_session is restored by re-running 202611251600 (down cannot rebuild it here).
  await knex.raw('drop function if exists kontor_request_session(uuid, uuid, timestamptz, boolean, integer, integer)');
}
