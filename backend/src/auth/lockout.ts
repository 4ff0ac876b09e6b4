import { createHmac } from 'node:crypto';
import { fail } from '../http/error-catalogue.js';
import type { HttpError } from '../http/errors.js';
import type { Knex } from 'knex';
import { sendInBackground } from '../mail/mailer.js';
import { accountLockedMail } from '../mail/templates.js';
import * as store from './auth-store.js';
import type { AuthDeps, ClientMeta } from './auth-types.js';

/**
 * Failed attempts and the lock they lead to, in one place for every way of signing in (password,
 * second factor, the current password asked by a session; directory sign-ins to come):
 *
 * - `countFailedAttempt` counts one failure in one statement; the LOCK_AFTER_FAILURES-th consecutive
 *   one locks the account, and exactly that request mails the owner and logs the lock.
 * - `refuseSignIn` records a refused sign-in in login_events and throws the one answer that tells
 *   nothing about why (unknown address, wrong password, locked, inactive tenant all look alike).
 * - `isLockedOut` is the status check before a session is opened; `claimSuccessfulLogin` in the
 *   store repeats it atomically, so a lock set concurrently still wins.
 */

export const LOCK_AFTER_FAILURES = store.LOCK_AFTER_FAILURES;

export function invalidCredentials(): HttpError {
  return fail('invalid_credentials');
}

/** A keyed hash, so a login event can be matched to an email later without storing what was typed. */
export function emailHash(d: Pick<AuthDeps, 'hmacKey'>, email: string): string {
  return createHmac('sha256', d.hmacKey).update(`email:${email.trim().toLowerCase()}`).digest('hex');
}

export function isLockedOut(user: { status: string }): boolean {
  return user.status !== 'active';
}

/** Counts one failed attempt of `user`; `locked` when this or an earlier failure reached the limit. */
export async function countFailedAttempt(
  d: Pick<AuthDeps, 'mailer' | 'logger'>, db: Knex, user: { id: string; email: string; locale: 'de' | 'en' | null }, at: Date,
): Promise<{ failures: number; locked: boolean; lockedNow: boolean }> {
  const failures = await store.countFailedLogin(db, user.id, at);
  const lockedNow = failures === LOCK_AFTER_FAILURES;
  if (lockedNow) {
    sendInBackground(d.mailer, accountLockedMail(user), d.logger);
    d.logger.info({ userId: user.id }, 'account locked after failed logins');
  }
  return { failures, locked: failures >= LOCK_AFTER_FAILURES, lockedNow };
}

/** Who a refused sign-in was about: a known user, or only the keyed hash of what was typed. */
export interface SignInSubject {
  tenantId: string | null;
  userId: string | null;
  emailHash: string | null;
}

/** Records the refusal (login_events, log) and throws `invalid_credentials`. */
export async function refuseSignIn(
  d: Pick<AuthDeps, 'db' | 'logger'>, subject: SignInSubject, reason: string, meta: ClientMeta, at: Date,
): Promise<never> {
  await store.insertLoginEvent(d.db, { ...subject, outcome: 'failure', reason, ip: meta.ip, at });
  d.logger.info({ requestId: meta.requestId, reason }, 'login refused');
  throw invalidCredentials();
}
