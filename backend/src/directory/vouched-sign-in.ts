import * as store from '../auth/auth-store.js';
import type { AuthDeps, ClientMeta, SecondFactorChallenge } from '../auth/auth-types.js';
import { countFailedAttempt, invalidCredentials, isLockedOut, refuseSignIn } from '../auth/lockout.js';
import { openSignedInSession, type SignedIn } from '../auth/sign-in.js';

/**
 * Sign-ins vouched for by the bank's directory (OIDC, LDAP) or by a passkey: the same checks,
 * login_events, lockout and DB session as a password sign-in (auth/sign-in.ts, auth/lockout.ts).
 */

/** Without `mfaVerified`, a user with a second factor gets its challenge, as after a password. */
export async function signInVouched(d: AuthDeps, userId: string, meta: ClientMeta, how: { reason: string; mfaVerified: boolean; phishingResistant?: boolean; directorySid?: string | undefined }): Promise<SignedIn | SecondFactorChallenge> {
  const now = d.clock.now();
  const user = await store.findUser(d.db, userId);
  const tenant = user ? await store.findTenant(d.db, user.tenant_id) : undefined;
  const refuse = (reason: string) => refuseSignIn(d, { tenantId: user?.tenant_id ?? null, userId: user ? userId : null, emailHash: null }, reason, meta, now);
  if (!user || user.status === 'deleted') return refuse('deleted');
  if (isLockedOut(user)) return refuse('locked');
  if (!tenant || tenant.deactivated_at) return refuse('tenant_inactive');
  if (!how.mfaVerified && ((await store.findFactor(d.db, user.id))?.confirmed_at || (await store.hasPasskey(d.db, user.id)))) {
    d.logger.info({ requestId: meta.requestId, userId: user.id }, 'login awaits second factor');
    return { challenge: d.tokens.signChallenge(user.id, user.tenant_id, Number(user.sign_in_seq), how.directorySid) };
  }
  return openSignedInSession(d, user, meta, { now, mfaVerified: how.mfaVerified, reason: how.reason, phishingResistant: how.phishingResistant ?? false, directorySid: how.directorySid });
}

/** A password the bank's directory refused counts toward the same lockout as a wrong Kontor password. */
export async function refuseDirectoryPassword(d: AuthDeps, userId: string, meta: ClientMeta): Promise<never> {
  const now = d.clock.now();
  const user = await store.findUser(d.db, userId);
  if (!user) return refuseSignIn(d, { tenantId: null, userId: null, emailHash: null }, 'unknown_email', meta, now);
  const { locked } = await countFailedAttempt(d, d.db, user, now);
  return refuseSignIn(d, { tenantId: user.tenant_id, userId: user.id, emailHash: null }, user.status === 'locked' || locked ? 'locked' : 'wrong_password', meta, now);
}

/** A directory sign-in refused before any session could exist (unknown user, a bad answer): recorded. */
export async function recordRefusal(d: AuthDeps, tenantId: string | null, userId: string | null, reason: string, meta: ClientMeta): Promise<void> {
  await refuseSignIn(d, { tenantId, userId, emailHash: null }, reason, meta, d.clock.now()).catch(() => undefined);
}

export { invalidCredentials };
