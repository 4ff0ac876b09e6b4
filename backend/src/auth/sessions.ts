import type { Knex } from 'knex';
import { fail } from '../http/error-catalogue.js';
import type { HttpError } from '../http/errors.js';
import { recordAudit } from '../audit/audit-store.js';
import { inTenant } from '../db/tenant-transaction.js';
import { effectiveRights } from '../tenancy/rights.js';
import * as store from './auth-store.js';
import type { AuthDeps, ClientMeta, OpenedSession, SessionInfo } from './auth-types.js';
import { RefusalToKeep, type RequestContext } from './context.js';
import { visitAllowed } from '../access/access-service.js';
import { mfaRequiredFor, passkeyRequiredFor } from './mfa-policy.js';
import { describePolicy } from './password-policy.js';
import { TOKEN_TTL_SECONDS } from './session-token.js';

export type { SessionEndReason } from './auth-store.js';
type SessionEndReason = store.SessionEndReason;

/**
 * Sessions: opening one (`openSession`, in the caller's tenant transaction), describing it to the
 * SPA, renewal, the vendor's move into another bank, sign-out, the user's own list, ending a
 * user's sessions everywhere, and the idle purge.
 */

/** The largest idle limit a tenant may set (120 min): how long an expired token may still be renewed. */
export const MAX_IDLE_SECONDS = 120 * 60;

/**
 * How long the note why a session ended is kept: after that no token naming the session verifies
 * any more (its lifetime plus the renewal grace), so nobody can ask.
 */
export const SESSION_END_MEMORY_MS = (TOKEN_TTL_SECONDS + MAX_IDLE_SECONDS) * 1000 + 60_000;

/** The answer to a request on an ended session: 401 session_expired, with why when it is known. */
export function sessionExpired(reason: SessionEndReason | 'unknown' = 'unknown'): HttpError {
  return fail('session_expired', { reason });
}

/** Ends the user's sessions in this tenant (the request's transaction) and notes why. Returns how many. */
export function endSessionsInTenant(trx: Knex.Transaction, tenantId: string, userId: string, reason: SessionEndReason, at: Date, keepId?: string): Promise<number> {
  return store.endSessions(trx, tenantId, { userId, keepId }, reason, at);
}

/** How a session was opened: carried over on renewal. */
export interface SessionFlags {
  mfaVerified?: boolean;
  phishingResistant?: boolean;
  /** The bank's OpenID Provider session (`sid`) it was opened from: what a back-channel logout names. */
  directorySid?: string | null;
}

/**
 * The bank's OpenID Provider logged the user out (back-channel logout): the sessions of `userId`,
 * or, where the provider names its session, only those opened from it. Returns how many ended.
 */
export function endDirectorySessions(trx: Knex.Transaction, tenantId: string, who: { userId: string | undefined; directorySid: string | undefined }, at: Date): Promise<number> {
  if (who.directorySid !== undefined) return store.endSessions(trx, tenantId, { directorySid: who.directorySid, userId: who.userId }, 'directory_logout', at);
  if (who.userId !== undefined) return store.endSessions(trx, tenantId, { userId: who.userId }, 'directory_logout', at);
  return Promise.resolve(0);
}

/** A new session row and token; `carry` keeps the absolute limit on renewal, so it never extends. */
export async function openSession(
  d: AuthDeps, trx: Knex.Transaction, userId: string, tenantId: string, meta: ClientMeta, now: Date,
  carry?: { createdAt: Date; absoluteExpiresAt: Date },
  flags: SessionFlags = {},
): Promise<OpenedSession> {
  const { mfaVerified = false, phishingResistant = false, directorySid = null } = flags;
  const settings = await store.tenantSettings(trx, tenantId);
  const absoluteExpiresAt = carry?.absoluteExpiresAt ?? new Date(now.getTime() + settings.absolute_hours * 3_600_000);
  const sessionId = await store.insertSession(trx, {
    tenant_id: tenantId, user_id: userId, created_at: carry?.createdAt ?? now, last_activity_at: now,
    absolute_expires_at: absoluteExpiresAt, ip: meta.ip ?? null, user_agent: meta.userAgent?.slice(0, 200) ?? null, mfa_verified: mfaVerified,
    phishing_resistant: phishingResistant, directory_sid: directorySid,
  });
  const token = d.tokens.sign({ sid: sessionId, sub: userId, tid: tenantId });
  return { token, info: await describeSession(d, trx, userId, tenantId, sessionId, absoluteExpiresAt) };
}

async function describeSession(d: AuthDeps, trx: Knex.Transaction, userId: string, tenantId: string, sessionId: string, absoluteExpiresAt: Date): Promise<SessionInfo> {
  const now = d.clock.now();
  const [user, tenant, settings, rights, modules] = [
    await store.findUser(trx, userId),
    await store.findTenant(trx, tenantId),
    await store.tenantSettings(trx, tenantId),
    await store.rightsOf(trx, tenantId, userId),
    await store.licensedModules(trx, tenantId, now.toISOString().slice(0, 10)),
  ];
  if (!user || !tenant) throw sessionExpired();
  const session = await store.findSession(trx, tenantId, sessionId);
  const factor = await store.findFactor(trx, userId);
  const passkey = await store.hasPasskey(trx, userId);
  const effective = effectiveRights(rights, tenant.is_vendor);
  const tenants = await store.activeTenantNames(trx, await store.tenantsOfUser(trx, userId));
  return {
    user: { id: user.id, email: user.email, name: user.name, locale: user.locale },
    tenant: { id: tenant.id, name: tenant.name, isVendor: tenant.is_vendor },
    permissions: [...effective].sort(),
    modules: [...modules].sort(),
    mustChangePassword: user.must_change_password,
    session: { id: sessionId, idleMinutes: settings.idle_minutes, absoluteExpiresAt: absoluteExpiresAt.toISOString() },
    passwordPolicy: describePolicy(settings.password_profile),
    tenants,
    mfa: {
      enrolled: Boolean(factor?.confirmed_at),
      verified: Boolean(session?.mfa_verified),
      required: mfaRequiredFor(settings.mfa_required, effective, tenant.is_vendor),
      passkeyEnrolled: passkey,
      phishingResistant: Boolean(session?.phishing_resistant),
      passkeyRequired: passkeyRequiredFor(settings.passkey_required, effective, tenant.is_vendor, d.vendorPasskeyRequired),
    },
  };
}

export async function sessionInfo(d: AuthDeps, ctx: RequestContext): Promise<SessionInfo> {
  const session = await store.findSession(ctx.trx, ctx.tenantId, ctx.sessionId);
  if (!session) throw sessionExpired();
  return describeSession(d, ctx.trx, ctx.userId, ctx.tenantId, ctx.sessionId, session.absolute_expires_at);
}

/** The signed-in user's own profile: what the SPA may change about itself (the language for now). */
export async function profile(ctx: RequestContext): Promise<{ email: string; name: string; locale: store.UserLocale | null }> {
  const user = await store.findUser(ctx.trx, ctx.userId);
  if (!user) throw sessionExpired();
  return { email: user.email, name: user.name, locale: user.locale };
}

export async function updateProfile(ctx: RequestContext, change: { locale: store.UserLocale | null }): Promise<{ email: string; name: string; locale: store.UserLocale | null }> {
  await store.setUserLocale(ctx.trx, ctx.userId, change.locale);
  return profile(ctx);
}

/** Renewal: a new sid, the old row deleted, the absolute limit kept. Never resets the failure counter. */
export async function refresh(d: AuthDeps, ctx: RequestContext, meta: ClientMeta): Promise<OpenedSession> {
  const old = await store.findSession(ctx.trx, ctx.tenantId, ctx.sessionId);
  if (!old) throw sessionExpired();
  await store.deleteSession(ctx.trx, ctx.tenantId, ctx.sessionId);
  return openSession(d, ctx.trx, ctx.userId, ctx.tenantId, meta, d.clock.now(), {
    createdAt: old.created_at, absoluteExpiresAt: old.absolute_expires_at,
  }, { mfaVerified: Boolean(old.mfa_verified), phishingResistant: Boolean(old.phishing_resistant), directorySid: old.directory_sid ?? null });
}

/**
 * Vendor staff move into a granted bank (or back home): a new session there, the old one deleted
 * at once, the absolute limit carried over, and the move written to both tenants' audit logs.
 */
export async function switchTenant(d: AuthDeps, ctx: RequestContext, targetTenantId: string, meta: ClientMeta): Promise<OpenedSession> {
  const now = d.clock.now();
  if (targetTenantId === ctx.tenantId) throw fail('already_in_tenant', { field: 'tenantId' });
  const reachable = await store.tenantsOfUser(ctx.trx, ctx.userId);
  const target = await store.findTenant(ctx.trx, targetTenantId);
  if (!reachable.includes(targetTenantId) || !target || target.deactivated_at) {
    throw fail('no_grant');
  }
  const old = await store.findSession(ctx.trx, ctx.tenantId, ctx.sessionId);
  if (!old) throw sessionExpired();
  // Reaching into another bank's data needs a session that passed the second factor.
  if (!old.mfa_verified) throw fail('mfa_required', { reason: 'switch_tenant' });
  const opened = await inTenant(d.db, targetTenantId, async (trx) => {
    if (!(await store.hasMembership(trx, targetTenantId, ctx.userId))) return undefined;
    // The bank decides (issue 17): outside an approved window the door stays shut, and the attempt is on the bank's record.
    const visit = await visitAllowed(trx, targetTenantId, ctx.userId, now);
    if (!visit.allowed) {
      await recordAudit(trx, {
        tenantId: targetTenantId, actorUserId: ctx.userId, type: 'vendor.switch_refused', details: { from: ctx.tenantId }, requestId: ctx.requestId, ip: ctx.ip,
      }, now);
      return 'refused' as const;
    }
    const session = await openSession(d, trx, ctx.userId, targetTenantId, meta, now, { createdAt: now, absoluteExpiresAt: old.absolute_expires_at }, { mfaVerified: true, phishingResistant: Boolean(old.phishing_resistant) });
    await recordAudit(trx, {
      tenantId: targetTenantId, actorUserId: ctx.userId, type: 'auth.tenant_switch_in', details: { from: ctx.tenantId, accessRequestId: visit.requestId }, requestId: ctx.requestId, ip: ctx.ip,
    }, now);
    return session;
  });
  if (!opened) throw fail('no_grant');
  if (opened === 'refused') {
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'vendor.switch_refused', details: { to: targetTenantId }, requestId: ctx.requestId, ip: ctx.ip,
    }, now);
    throw new RefusalToKeep(fail('access_not_approved'));
  }
  await store.deleteSession(ctx.trx, ctx.tenantId, ctx.sessionId);
  await recordAudit(ctx.trx, {
    tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'auth.tenant_switch_out', details: { to: targetTenantId }, requestId: ctx.requestId, ip: ctx.ip,
  }, now);
  return opened;
}

/** Sign-out: whatever session a valid token names ends. */
export async function logout(d: AuthDeps, token: string | undefined): Promise<void> {
  const claims = token ? d.tokens.verify(token) : undefined;
  if (!claims) return;
  await inTenant(d.db, claims.tid, (trx) => store.endSessions(trx, claims.tid, { sessionId: claims.sid }, 'signed_out', d.clock.now()));
}

export async function listSessions(ctx: RequestContext): Promise<{ id: string; createdAt: string; lastActivityAt: string; ip: string | null; userAgent: string | null; current: boolean }[]> {
  const rows = await store.listUserSessions(ctx.trx, ctx.tenantId, ctx.userId);
  return rows.map((s) => ({
    id: s.id, createdAt: s.created_at.toISOString(), lastActivityAt: s.last_activity_at.toISOString(),
    ip: s.ip, userAgent: s.user_agent, current: s.id === ctx.sessionId,
  }));
}

/** The user signs one of their sessions out (another device) from the list. */
export async function endOwnSession(d: AuthDeps, ctx: RequestContext, sessionId: string): Promise<void> {
  const session = await store.findSession(ctx.trx, ctx.tenantId, sessionId);
  if (!session || session.user_id !== ctx.userId) throw fail('not_found', { reason: 'session' });
  await store.endSessions(ctx.trx, ctx.tenantId, { sessionId }, 'signed_out', d.clock.now());
}

/** Ends the user's sessions in every tenant but `exceptTenant` (vendor staff may hold several), each in its own tenant transaction. */
export async function endUserSessions(d: AuthDeps, userId: string, reason: SessionEndReason, exceptTenant?: string): Promise<void> {
  const now = d.clock.now();
  for (const tenantId of await store.tenantsOfUser(d.db, userId)) {
    if (tenantId === exceptTenant) continue;
    await inTenant(d.db, tenantId, (trx) => endSessionsInTenant(trx, tenantId, userId, reason, now));
  }
}

/**
 * Sessions past their idle or absolute limit (noting which), and notes older than
 * SESSION_END_MEMORY_MS. Old sign-in records and audit events are the retention role's
 * (audit/chains.ts): the API role can insert them but not delete them. `onlyTenants` narrows it
 * (tests share one database).
 */
export async function purgeSessions(d: AuthDeps, onlyTenants?: string[]): Promise<{ sessions: number }> {
  const now = d.clock.now();
  let sessions = 0;
  for (const tenantId of onlyTenants ?? (await store.allTenantIds(d.db))) {
    await inTenant(d.db, tenantId, async (trx) => {
      const settings = await store.tenantSettings(trx, tenantId);
      sessions += await store.deleteExpiredSessions(trx, tenantId, new Date(now.getTime() - settings.idle_minutes * 60_000), now, new Date(now.getTime() - SESSION_END_MEMORY_MS));
    });
  }
  return { sessions };
}
