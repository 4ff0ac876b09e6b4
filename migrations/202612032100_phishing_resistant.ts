import type { Knex } from 'knex';

/**
 * Phishing-resistant sign-in (issue 21, leftover rules):
 *
 * - `tenant_settings.passkey_required`: in a bank, its admins must sign in with a passkey; in the
 *   vendor's tenant (the platform), vendor staff must. A session opened with TOTP or a recovery
 *   code is then restricted to enrolling a passkey.
 * - `sessions.phishing_resistant`: the session was opened with a passkey assertion (origin-bound).
 * - `session_ends` learns the reason `directory_logout` (OIDC back-channel logout).
 * - kontor_request_session additionally returns `has_passkey`, `phishing_resistant` and
 *   `passkey_required` (same body as 202612031300 otherwise).
 */
const OLD_REASONS = "'idle', 'absolute', 'ended_by_admin', 'signed_out', 'password_changed', 'rights_changed', 'account_disabled', 'access_ended'";

export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table tenant_settings add column passkey_required boolean not null default false');
  await knex.raw('alter table sessions add column phishing_resistant boolean not null default false');
  await knex.raw('alter table session_ends drop constraint session_ends_reason');
  await knex.raw(`alter table session_ends add constraint session_ends_reason check (reason in (${OLD_REASONS}, 'directory_logout'))`);
  await createRequestSession(knex, true);
}

export async function down(knex: Knex): Promise<void> {
  await createRequestSession(knex, false);
  await knex.raw("delete from session_ends where reason = 'directory_logout'");
  await knex.raw('alter table session_ends drop constraint session_ends_reason');
  await knex.raw(`alter table session_ends add constraint session_ends_reason check (reason in (${OLD_REASONS}))`);
  await knex.raw('alter table sessions drop column phishing_resistant');
  await knex.raw('alter table tenant_settings drop column passkey_required');
}

/** kontor_request_session as in 202612031300, with the three passkey columns when `withPasskeys`. */
async function createRequestSession(knex: Knex, withPasskeys: boolean): Promise<void> {
  await knex.raw('drop function kontor_request_session(uuid, uuid, timestamptz, boolean, integer, integer)');
  await knex.raw(`
    create function kontor_request_session(
      p_tenant uuid, p_session uuid, p_now timestamptz, p_touch boolean, p_granularity_seconds integer, p_default_idle integer
    ) returns table (
      user_id uuid, last_activity_at timestamptz, absolute_expires_at timestamptz, idle_minutes integer,
      status text, must_change_password boolean, is_vendor boolean, tenant_active boolean, member boolean,
      rights text[], modules text[], mfa_verified boolean, has_factor boolean, mfa_required text${withPasskeys ? ',' : ''}
      ${withPasskeys ? 'has_passkey boolean, phishing_resistant boolean, passkey_required boolean' : ''}
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
               (exists (select 1 from user_totp f where f.user_id = s.user_id and f.confirmed_at is not null)
                 or exists (select 1 from user_passkeys k where k.user_id = s.user_id)),
               coalesce((select ts.mfa_required from tenant_settings ts where ts.tenant_id = s.tenant_id), 'none')
               ${withPasskeys ? `,
               exists (select 1 from user_passkeys k where k.user_id = s.user_id),
               s.phishing_resistant,
               coalesce((select ts.passkey_required from tenant_settings ts where ts.tenant_id = s.tenant_id), false)` : ''}
          from sessions s
          join users u on u.id = s.user_id
          join tenants t on t.id = s.tenant_id
         where s.tenant_id = p_tenant and s.id = p_session;
    end
    $$`);
  await knex.raw('revoke all on function kontor_request_session(uuid, uuid, timestamptz, boolean, integer, integer) from public');
  await knex.raw('grant execute on function kontor_request_session(uuid, uuid, timestamptz, boolean, integer, integer) to kontor_api');
}

