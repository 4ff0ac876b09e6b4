import type { Knex } from 'knex';

/** All SQL of sign-in and sessions. Platform tables take the plain API knex; tenant tables a tenant transaction. */

export interface UserRow {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  status: 'active' | 'locked' | 'deleted';
  failed_login_count: number;
  /** bigint: node-postgres returns it as a string. */
  sign_in_seq: string;
  must_change_password: boolean;
  last_login_at: Date | null;
  /** The language the user chose in the SPA; null until they choose. */
  locale: UserLocale | null;
}

export const USER_LOCALES = ['de', 'en'] as const;
export type UserLocale = (typeof USER_LOCALES)[number];

export interface TenantRow {
  id: string;
  name: string;
  is_vendor: boolean;
  deactivated_at: Date | null;
}

export interface SessionRow {
  tenant_id: string;
  id: string;
  user_id: string;
  created_at: Date;
  last_activity_at: Date;
  absolute_expires_at: Date;
  ip: string | null;
  user_agent: string | null;
  /** The session was opened with the second factor (or the factor was enrolled in it). */
  mfa_verified?: boolean;
  /** The session was opened with a passkey (origin-bound, so phishing-resistant). */
  phishing_resistant?: boolean;
  /** The OpenID Provider's session (`sid`) this session was opened from, for back-channel logout. */
  directory_sid?: string | null;
}

export interface TenantSettings {
  idle_minutes: number;
  absolute_hours: number;
  password_profile: 'standard' | 'classic';
  mfa_required: 'none' | 'admins' | 'all';
  passkey_required: boolean;
}

const DEFAULT_SETTINGS: TenantSettings = { idle_minutes: 30, absolute_hours: 8, password_profile: 'standard', mfa_required: 'none', passkey_required: false };

export const LOCK_AFTER_FAILURES = 4;
export const ACTIVITY_GRANULARITY_SECONDS = 30;

// ---- platform tables -------------------------------------------------------------------------

export async function findUserByEmail(db: Knex, email: string): Promise<(UserRow & { hash: string | null }) | undefined> {
  return db('users as u')
    .leftJoin('password_credentials as p', 'p.user_id', 'u.id')
    .whereRaw('lower(u.email) = lower(?)', [email])
    .first('u.*', 'p.hash');
}

export async function findUser(db: Knex, id: string): Promise<(UserRow & { hash: string | null }) | undefined> {
  return db('users as u').leftJoin('password_credentials as p', 'p.user_id', 'u.id').where('u.id', id).first('u.*', 'p.hash');
}

/** Only the user's own row: the caller passes the session's user id, never one from the request. */
export async function setUserLocale(db: Knex, userId: string, locale: UserLocale | null): Promise<void> {
  await db('users').where({ id: userId }).update({ locale });
}

export async function findTenant(db: Knex, id: string): Promise<TenantRow | undefined> {
  return db('tenants').where({ id }).first('id', 'name', 'is_vendor', 'deactivated_at');
}

/** Counts a failure; the LOCK_AFTER_FAILURES-th consecutive one locks. Returns the new count. */
export async function countFailedLogin(db: Knex, userId: string, at: Date): Promise<number> {
  const [row] = await db('users')
    .where({ id: userId })
    .update({
      failed_login_count: db.raw('failed_login_count + 1'),
      status: db.raw("case when failed_login_count + 1 >= ? and status = 'active' then 'locked' else status end", [LOCK_AFTER_FAILURES]),
      locked_at: db.raw('case when failed_login_count + 1 = ? then ?::timestamptz else locked_at end', [LOCK_AFTER_FAILURES, at]),
    })
    .returning('failed_login_count');
  return (row as { failed_login_count: number }).failed_login_count;
}

/**
 * The success decision, in one statement after the password (and factor) passed: only an account
 * that is still active succeeds and has its failure counter reset. A lock that a concurrent
 * failure set meanwhile wins (false), and the row lock orders it against countFailedLogin.
 */
export async function claimSuccessfulLogin(db: Knex, userId: string, at: Date, ip: string | undefined, challengeSeq?: number): Promise<boolean> {
  const q = db('users').where({ id: userId, status: 'active' });
  // A second-factor challenge completes only while no sign-in has happened since it was issued.
  if (challengeSeq !== undefined) q.where({ sign_in_seq: challengeSeq });
  const rows = await q.update({ failed_login_count: 0, last_login_at: at, last_login_ip: ip ?? null, sign_in_seq: db.raw('sign_in_seq + 1') }).returning('id');
  return rows.length === 1;
}

/** A first password that must still be changed (the first superadmin's); setPassword clears that flag. */
export async function insertCredential(db: Knex, userId: string, hash: string, at: Date): Promise<void> {
  await db('password_credentials').insert({ user_id: userId, hash, changed_at: at });
}

export async function setPassword(db: Knex, userId: string, hash: string, at: Date): Promise<void> {
  await db('password_credentials').insert({ user_id: userId, hash, changed_at: at }).onConflict('user_id').merge();
  await db('users').where({ id: userId }).update({ must_change_password: false });
}

/** Recovery and invitations also reopen a locked account, never a deactivated one (only an admin reactivates). */
export async function unlockUser(db: Knex, userId: string): Promise<void> {
  await db('users').where({ id: userId }).whereNot({ status: 'deleted' }).whereNull('deactivated_at').update({ status: 'active', failed_login_count: 0, locked_at: null });
}

export interface LoginEvent {
  tenantId: string | null;
  userId: string | null;
  emailHash: string | null;
  outcome: 'success' | 'failure';
  reason: string;
  ip: string | undefined;
  at: Date;
}

export async function insertLoginEvent(db: Knex, e: LoginEvent): Promise<void> {
  await db('login_events').insert({
    tenant_id: e.tenantId, user_id: e.userId, email_hash: e.emailHash, outcome: e.outcome, reason: e.reason, ip: e.ip ?? null, created_at: e.at,
  });
}

/** The last successful login before now, and the failed attempts since then. */
export async function previousLogin(db: Knex, userId: string): Promise<{ at: Date; ip: string | null; failuresSince: number } | null> {
  // Event ids are monotonic, so they order attempts exactly even within one clock tick.
  const last = await db('login_events').where({ user_id: userId, outcome: 'success' }).orderBy('id', 'desc').first('id', 'created_at', 'ip');
  const failures = db('login_events').where({ user_id: userId, outcome: 'failure' });
  if (last) failures.where('id', '>', last.id);
  const [{ n }] = (await failures.count({ n: '*' })) as [{ n: number }];
  if (!last) return null;
  return { at: last.created_at as Date, ip: (last.ip as string | null) ?? null, failuresSince: Number(n) };
}

/** Tenants a user can have sessions in: the home tenant and every tenant granted to a vendor user. */
export async function tenantsOfUser(db: Knex, userId: string): Promise<string[]> {
  const user = await db('users').where({ id: userId }).first('tenant_id');
  const grants = await db('vendor_grants').where({ user_id: userId }).pluck('tenant_id');
  return [...new Set([user?.tenant_id as string, ...(grants as string[])].filter(Boolean))];
}

/** Id and name of those of `ids` that are not deactivated, by name. */
export async function activeTenantNames(db: Knex, ids: string[]): Promise<{ id: string; name: string }[]> {
  return db('tenants').whereIn('id', ids).whereNull('deactivated_at').orderBy('name').select<{ id: string; name: string }[]>('id', 'name');
}

export async function allTenantIds(db: Knex): Promise<string[]> {
  return db('tenants').pluck('id');
}

// ---- recovery codes and invitation tokens (platform) ----------------------------------------------

export async function replaceRecoveryCode(db: Knex, userId: string, codeHash: string, expiresAt: Date, at: Date): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('recovery_codes').where({ user_id: userId }).whereNull('used_at').update({ used_at: at });
    await trx('recovery_codes').insert({ user_id: userId, code_hash: codeHash, expires_at: expiresAt, created_at: at });
  });
}

export interface RecoveryCodeRow {
  id: string;
  code_hash: string;
  attempts: number;
  expires_at: Date;
}

export async function activeRecoveryCode(db: Knex, userId: string): Promise<RecoveryCodeRow | undefined> {
  return db('recovery_codes').where({ user_id: userId }).whereNull('used_at').orderBy('created_at', 'desc').first('id', 'code_hash', 'attempts', 'expires_at');
}

/**
 * Counts a wrong code in one statement, only while the code is unused and below `maxAttempts`:
 * concurrent wrong codes never record more than the limit. Undefined when the limit was reached.
 */
export async function countRecoveryAttempt(db: Knex, codeId: string, maxAttempts: number): Promise<number | undefined> {
  const [row] = await db('recovery_codes').where({ id: codeId }).whereNull('used_at').where('attempts', '<', maxAttempts)
    .increment('attempts', 1).returning('attempts');
  return (row as { attempts: number } | undefined)?.attempts;
}

/** Marks the code used; false if someone else used it first, it expired, or its attempts ran out meanwhile. */
export async function consumeRecoveryCode(db: Knex, codeId: string, at: Date, maxAttempts: number): Promise<boolean> {
  return (await db('recovery_codes').where({ id: codeId }).whereNull('used_at').where('attempts', '<', maxAttempts)
    .where('expires_at', '>', at).update({ used_at: at })) === 1;
}

export async function insertInvitationToken(
  db: Knex, userId: string, tokenHash: string, purpose: 'invitation' | 'reset', expiresAt: Date, at: Date,
): Promise<void> {
  await db('invitation_tokens').where({ user_id: userId }).whereNull('used_at').update({ used_at: at });
  await db('invitation_tokens').insert({ user_id: userId, token_hash: tokenHash, purpose, expires_at: expiresAt, created_at: at });
}

/** The user a valid (unused, unexpired) invitation or reset token belongs to. */
export async function invitedUser(db: Knex, tokenHash: string, at: Date): Promise<string | undefined> {
  const row = await db('invitation_tokens').where({ token_hash: tokenHash }).whereNull('used_at').where('expires_at', '>', at).first('user_id');
  return (row as { user_id: string } | undefined)?.user_id;
}

/** Consumes a valid token atomically and returns its user, or undefined. */
export async function consumeInvitationToken(db: Knex, tokenHash: string, at: Date): Promise<string | undefined> {
  const [row] = await db('invitation_tokens')
    .where({ token_hash: tokenHash })
    .whereNull('used_at')
    .where('expires_at', '>', at)
    .update({ used_at: at })
    .returning('user_id');
  return (row as { user_id: string } | undefined)?.user_id;
}

// ---- tenant tables (inside inTenant) -----------------------------------------------------------

export async function tenantSettings(trx: Knex.Transaction, tenantId: string): Promise<TenantSettings> {
  const row = await trx('tenant_settings').where({ tenant_id: tenantId }).first('idle_minutes', 'absolute_hours', 'password_profile', 'mfa_required', 'passkey_required');
  return (row as TenantSettings | undefined) ?? DEFAULT_SETTINGS;
}

export async function hasMembership(trx: Knex.Transaction, tenantId: string, userId: string): Promise<boolean> {
  return Boolean(await trx('memberships').where({ tenant_id: tenantId, user_id: userId }).first('user_id'));
}

export async function rightsOf(trx: Knex.Transaction, tenantId: string, userId: string): Promise<Set<string>> {
  const rows = await trx('membership_roles as m')
    .join('role_rights as r', 'r.role_id', 'm.role_id')
    .where({ 'm.tenant_id': tenantId, 'm.user_id': userId })
    .distinct<{ area: string; access: string }[]>('r.area', 'r.access');
  return new Set(rows.map((r) => `${r.area}:${r.access}`));
}

export async function licensedModules(trx: Knex.Transaction, tenantId: string, today: string): Promise<Set<string>> {
  const rows = (await trx('tenant_modules')
    .where({ tenant_id: tenantId })
    .where((q) => { q.whereNull('valid_until').orWhere('valid_until', '>=', today); })
    .pluck('module')) as string[];
  return new Set(rows);
}

export async function insertSession(trx: Knex.Transaction, row: Omit<SessionRow, 'id'> & { id?: string }): Promise<string> {
  const [inserted] = await trx('sessions').insert(row).returning('id');
  return (inserted as { id: string }).id;
}

export async function findSession(trx: Knex.Transaction, tenantId: string, id: string): Promise<SessionRow | undefined> {
  return trx('sessions').where({ tenant_id: tenantId, id }).first();
}

/** Enrolment in this session counts as its second factor. */
export async function markSessionMfaVerified(trx: Knex.Transaction, tenantId: string, id: string): Promise<void> {
  await trx('sessions').where({ tenant_id: tenantId, id }).update({ mfa_verified: true });
}

/** A session replaced by another (renewal, moving to another bank): no note why, the client holds the new one. */
export async function deleteSession(trx: Knex.Transaction, tenantId: string, id: string): Promise<number> {
  return trx('sessions').where({ tenant_id: tenantId, id }).delete();
}

/** Why a session ended, as the next request on it is told (DESIGN's session-end contract). */
export const SESSION_END_REASONS = ['idle', 'absolute', 'ended_by_admin', 'signed_out', 'password_changed', 'rights_changed', 'account_disabled', 'access_ended', 'directory_logout'] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/**
 * Ends sessions and notes why, in one statement: the rows go, a session_ends row per ended session
 * stays. Either `sessionId`, or every session of `userId` (but `keepId`), or every session opened
 * from the OpenID Provider session `directorySid` (of `userId` where given). Returns how many ended.
 */
export async function endSessions(
  trx: Knex.Transaction, tenantId: string,
  which: { sessionId: string } | { userId: string; keepId?: string | undefined } | { directorySid: string; userId?: string | undefined },
  reason: SessionEndReason, at: Date,
): Promise<number> {
  const sessionId = 'sessionId' in which ? which.sessionId : null;
  const userId = 'userId' in which ? (which.userId ?? null) : null;
  const keepId = 'keepId' in which ? (which.keepId ?? null) : null;
  const directorySid = 'directorySid' in which ? which.directorySid : null;
  const result = await trx.raw(
    `with ended as (
       delete from sessions
        where tenant_id = ? and (?::uuid is null or id = ?::uuid) and (?::uuid is null or user_id = ?::uuid) and (?::uuid is null or id <> ?::uuid)
          and (?::text is null or directory_sid = ?::text)
        returning tenant_id, id)
     insert into session_ends (tenant_id, session_id, reason, ended_at)
     select tenant_id, id, ?::text, ?::timestamptz from ended
     on conflict (tenant_id, session_id) do nothing
     returning session_id`,
    [tenantId, sessionId, sessionId, userId, userId, keepId, keepId, directorySid, directorySid, reason, at],
  );
  return (result.rows as unknown[]).length;
}

/** The noted reason a session ended, if it ended recently enough to be remembered. */
export async function sessionEndReason(trx: Knex.Transaction, tenantId: string, sessionId: string): Promise<SessionEndReason | undefined> {
  const row = await trx('session_ends').where({ tenant_id: tenantId, session_id: sessionId }).first('reason');
  return (row as { reason: SessionEndReason } | undefined)?.reason;
}

export async function listUserSessions(trx: Knex.Transaction, tenantId: string, userId: string): Promise<SessionRow[]> {
  return trx('sessions').where({ tenant_id: tenantId, user_id: userId }).orderBy('last_activity_at', 'desc');
}

/** Ends sessions past their idle or absolute limit, noting which; forgets notes older than `forgetBefore`. */
export async function deleteExpiredSessions(trx: Knex.Transaction, tenantId: string, idleBefore: Date, now: Date, forgetBefore: Date): Promise<number> {
  const result = await trx.raw(
    `with ended as (
       delete from sessions where tenant_id = ? and (last_activity_at < ? or absolute_expires_at <= ?)
       returning tenant_id, id, absolute_expires_at)
     insert into session_ends (tenant_id, session_id, reason, ended_at)
     select tenant_id, id, case when absolute_expires_at <= ?::timestamptz then 'absolute' else 'idle' end, ?::timestamptz from ended
     on conflict (tenant_id, session_id) do nothing
     returning session_id`,
    [tenantId, idleBefore, now, now, now],
  );
  await trx('session_ends').where({ tenant_id: tenantId }).where('ended_at', '<', forgetBefore).delete();
  return (result.rows as unknown[]).length;
}

export interface RequestSessionRow {
  user_id: string;
  last_activity_at: Date;
  absolute_expires_at: Date;
  idle_minutes: number;
  status: 'active' | 'locked' | 'deleted';
  must_change_password: boolean;
  is_vendor: boolean;
  tenant_active: boolean;
  member: boolean;
  rights: string[];
  modules: string[];
  mfa_verified: boolean;
  has_factor: boolean;
  mfa_required: string;
  has_passkey: boolean;
  phishing_resistant: boolean;
  passkey_required: boolean;
}

/**
 * Everything the per-request check needs, in one round trip, with the activity touch
 * (migration 202611251600: a PL/pgSQL function, so its plans are cached per connection).
 */
export async function loadRequestSession(
  trx: Knex.Transaction, tenantId: string, sessionId: string, now: Date, touch: boolean,
): Promise<RequestSessionRow | undefined> {
  const result = await trx.raw('select * from kontor_request_session(?, ?, ?, ?, ?, ?)', [
    tenantId, sessionId, now, touch, ACTIVITY_GRANULARITY_SECONDS, 30,
  ]);
  return result.rows[0] as RequestSessionRow | undefined;
}

// --- second factor (platform tables user_totp, user_recovery_codes) --------------------------------

export interface FactorRow {
  user_id: string;
  secret_enc: string;
  confirmed_at: Date | null;
  last_step: string | null;
}

export async function findFactor(db: Knex, userId: string): Promise<FactorRow | undefined> {
  return db('user_totp').where({ user_id: userId }).first();
}

/** The user has registered a passkey (a second factor too: platform table user_passkeys). */
export async function hasPasskey(db: Knex, userId: string): Promise<boolean> {
  return Boolean(await db('user_passkeys').where({ user_id: userId }).first('id'));
}

/** A new, unconfirmed seed replaces any unconfirmed one; a confirmed factor is never overwritten here. */
export async function startFactor(db: Knex, userId: string, secretEnc: string, at: Date): Promise<void> {
  await db('user_totp').where({ user_id: userId }).whereNull('confirmed_at').delete();
  await db('user_totp').insert({ user_id: userId, secret_enc: secretEnc, created_at: at });
}

/** Records the step of an accepted code, only if it is newer than the last: a replay updates nothing. */
export async function useStep(db: Knex, userId: string, step: number, confirmAt?: Date): Promise<boolean> {
  const changes: Record<string, unknown> = { last_step: step };
  if (confirmAt) changes.confirmed_at = confirmAt;
  const updated = await db('user_totp').where({ user_id: userId })
    .where((q) => { q.whereNull('last_step').orWhere('last_step', '<', step); }).update(changes);
  return updated === 1;
}

export async function replaceRecoveryCodes(db: Knex, userId: string, hashes: string[]): Promise<void> {
  await db('user_recovery_codes').where({ user_id: userId }).delete();
  await db('user_recovery_codes').insert(hashes.map((code_hash) => ({ user_id: userId, code_hash })));
}

/** Marks a recovery code used; false if it does not exist or was used before. */
export async function useRecoveryCode(db: Knex, userId: string, hash: string, at: Date): Promise<boolean> {
  return (await db('user_recovery_codes').where({ user_id: userId, code_hash: hash }).whereNull('used_at').update({ used_at: at })) === 1;
}

export async function recoveryCodesLeft(db: Knex, userId: string): Promise<number> {
  const row = await db('user_recovery_codes').where({ user_id: userId }).whereNull('used_at').count<{ n: string }[]>('* as n').first();
  return Number(row?.n ?? 0);
}

export async function deleteFactor(db: Knex, userId: string): Promise<boolean> {
  await db('user_recovery_codes').where({ user_id: userId }).delete();
  return (await db('user_totp').where({ user_id: userId }).delete()) > 0;
}
