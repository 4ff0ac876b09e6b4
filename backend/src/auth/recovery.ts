import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { fail } from '../http/error-catalogue.js';
import type { HttpError } from '../http/errors.js';
import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-store.js';
import { inTenant } from '../db/tenant-transaction.js';
import { sendInBackground } from '../mail/mailer.js';
import { invitationMail, recoveryCodeMail } from '../mail/templates.js';
import * as store from './auth-store.js';
import type { AuthDeps, ClientMeta } from './auth-types.js';
import { describePolicy, type PolicyDescription } from './password-policy.js';
import { policyFailure } from './passwords.js';
import { endUserSessions } from './sessions.js';

/** Password recovery by a mailed code, and single-use invitation and reset links. */

export const RECOVERY_CODE_MINUTES = 10;
export const RECOVERY_MAX_ATTEMPTS = 5;
export const INVITATION_HOURS = 24;

function invalidCode(): HttpError {
  return fail('invalid_code', { reason: 'recovery', field: 'code' });
}

function invalidToken(): HttpError {
  return fail('invalid_token', { field: 'token' });
}

function codeHash(d: AuthDeps, userId: string, code: string): string {
  return createHmac('sha256', d.hmacKey).update(`recovery:${userId}:${code}`).digest('hex');
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Answers at once: everything that depends on whether the account exists (the lookup, hashing
 * and storing the code, the mail) runs after the response has been sent, so the answer's timing
 * tells nothing (issue 13, item 9). A failure there is logged; the caller learns nothing either way.
 */
export function requestRecovery(d: AuthDeps, email: string, meta: ClientMeta): void {
  d.logger.info({ requestId: meta.requestId }, 'recovery requested');
  setImmediate(() => {
    issueRecoveryCode(d, email).catch((err: unknown) => {
      d.logger.error({ requestId: meta.requestId, errName: err instanceof Error ? err.name : 'unknown' }, 'recovery code not issued');
    });
  });
}

async function issueRecoveryCode(d: AuthDeps, email: string): Promise<void> {
  const now = d.clock.now();
  const user = await store.findUserByEmail(d.db, email);
  if (!user || user.status === 'deleted') return;
  const code = String(randomInt(0, 100_000_000)).padStart(8, '0');
  await store.replaceRecoveryCode(d.db, user.id, codeHash(d, user.id, code), new Date(now.getTime() + RECOVERY_CODE_MINUTES * 60_000), now);
  sendInBackground(d.mailer, recoveryCodeMail(user, code, RECOVERY_CODE_MINUTES), d.logger);
}

export async function confirmRecovery(d: AuthDeps, email: string, code: string, newPassword: string, meta: ClientMeta): Promise<void> {
  const now = d.clock.now();
  const user = await store.findUserByEmail(d.db, email);
  if (!user || user.status === 'deleted') throw invalidCode();
  const active = await store.activeRecoveryCode(d.db, user.id);
  if (!active || active.expires_at.getTime() <= now.getTime() || active.attempts >= RECOVERY_MAX_ATTEMPTS) throw invalidCode();
  const expected = Buffer.from(active.code_hash, 'hex');
  const given = Buffer.from(codeHash(d, user.id, code), 'hex');
  if (!timingSafeEqual(expected, given)) {
    // Counted in one statement that also enforces the limit: concurrent guesses never exceed it.
    const counted = await store.countRecoveryAttempt(d.db, active.id, RECOVERY_MAX_ATTEMPTS);
    const reason = counted === undefined ? 'recovery_code_exhausted' : 'recovery_code_wrong';
    await store.insertLoginEvent(d.db, { tenantId: user.tenant_id, userId: user.id, emailHash: null, outcome: 'failure', reason, ip: meta.ip, at: now });
    throw invalidCode();
  }
  const failure = await policyFailure(d, user.id, user.tenant_id, newPassword, user.hash);
  if (failure) throw failure;
  if (!(await store.consumeRecoveryCode(d.db, active.id, now, RECOVERY_MAX_ATTEMPTS))) throw invalidCode();
  await store.setPassword(d.db, user.id, await d.hasher.hash(newPassword), now);
  await store.unlockUser(d.db, user.id);
  await endUserSessions(d, user.id, 'password_changed');
  await store.insertLoginEvent(d.db, { tenantId: user.tenant_id, userId: user.id, emailHash: null, outcome: 'success', reason: 'recovered', ip: meta.ip, at: now });
  await inTenant(d.db, user.tenant_id, (trx) =>
    recordAudit(trx, { tenantId: user.tenant_id, actorUserId: user.id, type: 'auth.recovered', subjectType: 'user', subjectId: user.id, requestId: meta.requestId, ip: meta.ip }, now),
  );
}

/** Creates a single-use link (stored hashed, 24 h) and mails it. Returns the link for the caller's audit. */
export async function issueInvitation(d: AuthDeps, userId: string, purpose: 'invitation' | 'reset', publicUrl: string, db: Knex = d.db): Promise<string> {
  const now = d.clock.now();
  const user = await store.findUser(db, userId);
  if (!user) throw fail('not_found', { reason: 'account' });
  const token = randomBytes(32).toString('base64url');
  await store.insertInvitationToken(db, userId, tokenHash(token), purpose, new Date(now.getTime() + INVITATION_HOURS * 3_600_000), now);
  const link = `${publicUrl.replace(/\/$/, '')}/invitation/${token}`;
  try {
    await d.mailer.send(invitationMail(user, link, purpose, INVITATION_HOURS));
  } catch {
    // Thrown inside the caller's transaction: the user or reset is rolled back with it.
    throw fail('mail_failed');
  }
  return link;
}

/** Before the form: is the link still good, and which rules will the new password meet (the invited person's bank's). */
export async function checkInvitation(d: AuthDeps, token: string): Promise<{ email: string; tenantName: string; passwordPolicy: PolicyDescription }> {
  const userId = await store.invitedUser(d.db, tokenHash(token), d.clock.now());
  const user = userId ? await store.findUser(d.db, userId) : undefined;
  if (!user || user.status === 'deleted') throw invalidToken();
  const tenant = await store.findTenant(d.db, user.tenant_id);
  const settings = await inTenant(d.db, user.tenant_id, (trx) => store.tenantSettings(trx, user.tenant_id));
  return { email: user.email, tenantName: tenant?.name ?? '', passwordPolicy: describePolicy(settings.password_profile) };
}

export async function acceptInvitation(d: AuthDeps, token: string, newPassword: string, meta: ClientMeta): Promise<void> {
  const now = d.clock.now();
  const userId = await store.invitedUser(d.db, tokenHash(token), now);
  const user = userId ? await store.findUser(d.db, userId) : undefined;
  if (!user || user.status === 'deleted') throw invalidToken();
  const failure = await policyFailure(d, user.id, user.tenant_id, newPassword, user.hash);
  if (failure) throw failure;
  if ((await store.consumeInvitationToken(d.db, tokenHash(token), now)) !== user.id) throw invalidToken();
  await store.setPassword(d.db, user.id, await d.hasher.hash(newPassword), now);
  await store.unlockUser(d.db, user.id);
  await endUserSessions(d, user.id, 'password_changed');
  await inTenant(d.db, user.tenant_id, (trx) =>
    recordAudit(trx, { tenantId: user.tenant_id, actorUserId: user.id, type: 'auth.invitation_accepted', subjectType: 'user', subjectId: user.id, requestId: meta.requestId, ip: meta.ip }, now),
  );
}
