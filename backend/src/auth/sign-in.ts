import { inTenant } from '../db/tenant-transaction.js';
import { fail } from '../http/error-catalogue.js';
import * as store from './auth-store.js';
import type { AuthDeps, ClientMeta, LoginResult, SecondFactorChallenge } from './auth-types.js';
import { countFailedAttempt, emailHash, isLockedOut, refuseSignIn, type SignInSubject } from './lockout.js';
import { openSession } from './sessions.js';
import { passkeyRequiredFor } from './mfa-policy.js';
import { effectiveRights } from '../tenancy/rights.js';

/**
 * Sign-in with a password, then the second factor where one is enrolled. Every way of signing in
 * ends in `openSignedInSession`; every refused attempt goes through lockout.ts.
 */

export interface SignedIn {
  token: string;
  result: LoginResult;
}

export interface SignInOptions {
  now: Date;
  /** The session passed a second factor (TOTP, recovery code, or a phishing-resistant method). */
  mfaVerified: boolean;
  /** Recorded as the success reason in login_events (`ok`, `ok_totp`, `ok_recovery_code`, …). */
  reason?: string;
  /** Completing a second-factor challenge: the sign-in counter it was issued at (single use). */
  challengeSeq?: number;
  /** The session was opened with a passkey assertion (origin-bound): what `passkey_required` asks for. */
  phishingResistant?: boolean;
  /** The OpenID Provider's session the sign-in came from (ID token `sid`). */
  directorySid?: string | undefined;
}

/**
 * Opens a session for `user` in its home tenant after every factor passed: checks the membership,
 * claims the success in one statement (a concurrent lock wins, the failure counter resets), inserts
 * the session, then records the sign-in in login_events (success or the refusal) and the log.
 * Throws `invalid_credentials` when the account was locked meanwhile or is no member.
 */
export async function openSignedInSession(d: AuthDeps, user: { id: string; tenant_id: string }, meta: ClientMeta, options: SignInOptions): Promise<SignedIn> {
  const { now, mfaVerified, reason = 'ok', challengeSeq, phishingResistant = false, directorySid } = options;
  const previous = await store.previousLogin(d.db, user.id);
  const created = await inTenant(d.db, user.tenant_id, async (trx) => {
    if (!(await store.hasMembership(trx, user.tenant_id, user.id))) return 'no_membership' as const;
    // Decided in one statement, in the transaction that opens the session: a lock set by a
    // concurrent failure wins, and then no session exists.
    if (!(await store.claimSuccessfulLogin(trx, user.id, now, meta.ip, challengeSeq))) return challengeSeq === undefined ? 'locked' as const : 'locked_or_challenge_used' as const;
    return openSession(d, trx, user.id, user.tenant_id, meta, now, undefined, { mfaVerified, phishingResistant, directorySid: directorySid ?? null });
  });
  if (typeof created === 'string') return refuseSignIn(d, { tenantId: user.tenant_id, userId: user.id, emailHash: null }, created, meta, now);

  await store.insertLoginEvent(d.db, {
    tenantId: user.tenant_id, userId: user.id, emailHash: null, outcome: 'success', reason, ip: meta.ip, at: now,
  });
  d.logger.info({ requestId: meta.requestId, userId: user.id, tenantId: user.tenant_id }, 'login succeeded');
  return {
    token: created.token,
    result: {
      ...created.info,
      previousLogin: previous ? { at: previous.at.toISOString(), ip: previous.ip, failuresSince: previous.failuresSince } : null,
    },
  };
}

export async function login(d: AuthDeps, email: string, password: string, meta: ClientMeta): Promise<SignedIn | SecondFactorChallenge> {
  const now = d.clock.now();
  const user = await store.findUserByEmail(d.db, email);
  // Equal work for every outcome: a hash is always verified, real or dummy.
  const passwordOk = user?.hash ? await d.hasher.verify(user.hash, password) : await d.hasher.verifyDummy(password);
  const tenant = user ? await store.findTenant(d.db, user.tenant_id) : undefined;
  const subject: SignInSubject = { tenantId: user?.tenant_id ?? null, userId: user?.id ?? null, emailHash: user ? null : emailHash(d, email) };
  const refuse = (reason: string) => refuseSignIn(d, subject, reason, meta, now);

  if (!user) return refuse('unknown_email');
  if (user.status === 'deleted') return refuse('deleted');
  if (!passwordOk) {
    const { locked } = await countFailedAttempt(d, d.db, user, now);
    return refuse(user.status === 'locked' || locked ? 'locked' : 'wrong_password');
  }
  if (user.status === 'locked') return refuse('locked');
  if (!tenant || tenant.deactivated_at) return refuse('tenant_inactive');
  // The bank requires sign-in through its directory (backend/src/directory): a correct password is refused.
  if (d.passwordRefused && (await d.passwordRefused(user.tenant_id))) return refuse('directory_required');

  const factor = await store.findFactor(d.db, user.id);
  // A passkey is a second factor as well: the second step offers TOTP or the passkey.
  if (factor?.confirmed_at || (await store.hasPasskey(d.db, user.id))) {
    // The status read above is from before the hash: a concurrent failure may have locked the account since.
    const fresh = await store.findUser(d.db, user.id);
    if (!fresh || isLockedOut(fresh)) return refuse('locked');
    const member = await inTenant(d.db, user.tenant_id, (trx) => store.hasMembership(trx, user.tenant_id, user.id));
    if (!member) return refuse('no_membership');
    // The failure counter is left alone: only the second step decides the outcome of this sign-in.
    d.logger.info({ requestId: meta.requestId, userId: user.id }, 'login awaits second factor');
    return { challenge: d.tokens.signChallenge(user.id, user.tenant_id, Number(fresh.sign_in_seq)) };
  }
  return openSignedInSession(d, user, meta, { now, mfaVerified: false });
}

/**
 * The second step: a current TOTP code (each accepted once) or an unused recovery code. Wrong
 * codes count toward the same lockout as wrong passwords and are recorded as failed sign-ins.
 */
export async function completeSecondFactor(
  d: AuthDeps, challenge: string | undefined, answer: { code?: string | undefined; recoveryCode?: string | undefined }, meta: ClientMeta,
): Promise<SignedIn> {
  const now = d.clock.now();
  const claims = challenge ? d.tokens.verifyChallenge(challenge) : undefined;
  if (!claims) throw fail('challenge_expired');
  const user = await store.findUser(d.db, claims.sub);
  const refuse = async (reason: string): Promise<never> => {
    await store.insertLoginEvent(d.db, { tenantId: claims.tid, userId: claims.sub, emailHash: null, outcome: 'failure', reason, ip: meta.ip, at: now });
    d.logger.info({ requestId: meta.requestId, reason }, 'second factor refused');
    throw fail('invalid_code', { reason: 'sign_in' });
  };
  if (!user || isLockedOut(user)) return refuse(user?.status === 'locked' ? 'locked' : 'inactive');
  // Single use: a sign-in since the challenge was issued (its own, or any other) retired it.
  if (Number(user.sign_in_seq) !== claims.seq) {
    await store.insertLoginEvent(d.db, { tenantId: claims.tid, userId: claims.sub, emailHash: null, outcome: 'failure', reason: 'challenge_used', ip: meta.ip, at: now });
    throw fail('challenge_expired');
  }
  // Where a passkey is required of this person and one is registered, TOTP and recovery codes do
  // not finish the sign-in (without one, they open a session restricted to enrolling a passkey).
  if (await store.hasPasskey(d.db, user.id) && (await passkeyRequiredAtSignIn(d, user))) {
    await store.insertLoginEvent(d.db, { tenantId: claims.tid, userId: claims.sub, emailHash: null, outcome: 'failure', reason: 'passkey_required', ip: meta.ip, at: now });
    throw fail('passkey_required', { reason: 'sign_in' });
  }
  const factor = await store.findFactor(d.db, user.id);
  if (!factor?.confirmed_at) return refuse('no_factor');
  let accepted = false;
  let reason = 'ok_totp';
  if (answer.code !== undefined) {
    const secret = d.secondFactor.decrypt(factor.secret_enc);
    const step = d.secondFactor.acceptedStep(secret, answer.code, now, factor.last_step === null ? null : Number(factor.last_step));
    accepted = step !== undefined && (await store.useStep(d.db, user.id, step));
  } else if (answer.recoveryCode !== undefined) {
    reason = 'ok_recovery_code';
    accepted = await store.useRecoveryCode(d.db, user.id, d.secondFactor.recoveryHash(user.id, answer.recoveryCode), now);
  }
  if (!accepted) {
    const { locked } = await countFailedAttempt(d, d.db, user, now);
    return refuse(locked ? 'locked' : 'wrong_code');
  }
  return openSignedInSession(d, user, meta, { now, mfaVerified: true, reason, challengeSeq: claims.seq, directorySid: claims.dsid });
}

/** Whether the user's home tenant requires a passkey of them (their rights there, its setting). */
export async function passkeyRequiredAtSignIn(d: AuthDeps, user: { id: string; tenant_id: string }): Promise<boolean> {
  const tenant = await store.findTenant(d.db, user.tenant_id);
  if (!tenant) return false;
  return inTenant(d.db, user.tenant_id, async (trx) => {
    const settings = await store.tenantSettings(trx, user.tenant_id);
    return passkeyRequiredFor(settings.passkey_required, effectiveRights(await store.rightsOf(trx, user.tenant_id, user.id), tenant.is_vendor), tenant.is_vendor, d.vendorPasskeyRequired);
  });
}
