import { recordAudit } from '../audit/audit-store.js';
import { fail } from '../http/error-catalogue.js';
import type { HttpError } from '../http/errors.js';
import { inTenant } from '../db/tenant-transaction.js';
import * as store from './auth-store.js';
import type { AuthDeps } from './auth-types.js';
import { RefusalToKeep, type RequestContext } from './context.js';
import { countFailedAttempt } from './lockout.js';
import { brokenRule, describePolicy, weakPassword } from './password-policy.js';
import { endSessionsInTenant, endUserSessions } from './sessions.js';

/** Setting a password: the tenant's policy, and the change a signed-in user makes. */

/** The policy's refusal of `newPassword` for this user in this tenant, or undefined when it passes. */
export async function policyFailure(d: AuthDeps, userId: string, tenantId: string, newPassword: string, currentHash: string | null): Promise<HttpError | undefined> {
  const user = await store.findUser(d.db, userId);
  const tenant = await store.findTenant(d.db, tenantId);
  const settings = await inTenant(d.db, tenantId, (trx) => store.tenantSettings(trx, tenantId));
  const broken = brokenRule(newPassword, { profile: settings.password_profile, email: user?.email ?? '', tenantName: tenant?.name ?? '' });
  if (broken) return broken.error;
  if (currentHash && (await d.hasher.verify(currentHash, newPassword))) {
    return weakPassword('not_new', describePolicy(settings.password_profile));
  }
  return undefined;
}

export async function changePassword(d: AuthDeps, ctx: RequestContext, currentPassword: string, newPassword: string): Promise<void> {
  const user = await store.findUser(ctx.trx, ctx.userId);
  if (!user?.hash || !(await d.hasher.verify(user.hash, currentPassword))) {
    await countWrongCurrentPassword(d, ctx);
    // Kept although refused: the counted failure and its records commit with the request.
    throw new RefusalToKeep(fail('invalid_current_password', { field: 'currentPassword' }));
  }
  const failure = await policyFailure(d, ctx.userId, ctx.tenantId, newPassword, user.hash);
  if (failure) throw failure;
  const now = d.clock.now();
  await store.setPassword(ctx.trx, ctx.userId, await d.hasher.hash(newPassword), now);
  await endSessionsInTenant(ctx.trx, ctx.tenantId, ctx.userId, 'password_changed', now, ctx.sessionId);
  await recordAudit(ctx.trx, { tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'auth.password_changed', subjectType: 'user', subjectId: ctx.userId, requestId: ctx.requestId, ip: ctx.ip }, now);
  await endUserSessions(d, ctx.userId, 'password_changed', ctx.tenantId);
}

/**
 * A wrong current password from a session is a failed sign-in (issue 13, item 8): it counts
 * toward the same lock, is recorded in login_events and the bank's audit log, and the lock ends
 * the session at once (sessions in other tenants are refused by the guard's status check).
 */
async function countWrongCurrentPassword(d: AuthDeps, ctx: RequestContext): Promise<void> {
  const now = d.clock.now();
  const user = await store.findUser(ctx.trx, ctx.userId);
  const { failures, locked, lockedNow } = await countFailedAttempt(d, ctx.trx, { id: ctx.userId, email: user?.email ?? '', locale: user?.locale ?? null }, now);
  await store.insertLoginEvent(ctx.trx, {
    tenantId: ctx.tenantId, userId: ctx.userId, emailHash: null, outcome: 'failure', reason: 'wrong_current_password', ip: ctx.ip, at: now,
  });
  await recordAudit(ctx.trx, {
    tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'auth.password_change_failed', subjectType: 'user', subjectId: ctx.userId,
    details: { failures, locked }, requestId: ctx.requestId, ip: ctx.ip,
  }, now);
  d.logger.info({ requestId: ctx.requestId, userId: ctx.userId, failures }, 'password change refused: wrong current password');
  if (lockedNow) await endSessionsInTenant(ctx.trx, ctx.tenantId, ctx.userId, 'account_disabled', now);
}
