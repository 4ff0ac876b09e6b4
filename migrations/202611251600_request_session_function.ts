import type { Knex } from 'knex';

/**
 * The per-request session check as one PL/pgSQL function: PL/pgSQL caches its statement plans
 * per connection, which saves the planning that dominated the check's cost. SECURITY INVOKER
 * (the default, stated here): row-level security applies to the caller exactly as before.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function kontor_request_session(
      p_tenant uuid, p_session uuid, p_now timestamptz, p_touch boolean, p_granularity_seconds integer, p_default_idle integer
    ) returns table (
      user_id uuid, last_activity_at timestamptz, absolute_expires_at timestamptz, idle_minutes integer,
      status text, must_change_password boolean, is_vendor boolean, tenant_active boolean, member boolean,
      rights text[], modules text[]
    )
    language plpgsql security invoker set search_path = public
    as $$
    #variable_conflict use_column
    declare
      v_idle integer;
    begin
      select coalesce((select ts.idle_minutes from tenant_settings ts where ts.tenant_id = p_tenant), p_default_idle) into v_idle;
      if p_touch then
        -- Touched only while within both limits and with an active user and tenant; at a coarse
        -- granularity so most requests stay read-only.
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
                          where tm.tenant_id = s.tenant_id and (tm.valid_until is null or tm.valid_until >= (p_now at time zone 'UTC')::date)), '{}'::text[])
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
  await knex.raw('drop function if exists kontor_request_session(uuid, uuid, timestamptz, boolean, integer, integer)');
}
