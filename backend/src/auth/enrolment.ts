import { recordAudit } from '../audit/audit-store.js';
import { fail } from '../http/error-catalogue.js';
import { sendInBackground } from '../mail/mailer.js';
import { factorResetMail } from '../mail/templates.js';
import * as store from './auth-store.js';
import type { AuthDeps } from './auth-types.js';
import type { RequestContext } from './context.js';
import { endUserSessions } from './sessions.js';

/**
 * The second factor's enrolment and reset. Everything a signed-in user does here writes in the
 * request's transaction: a request that fails leaves neither a confirmed factor nor recovery codes
 * that were never shown.
 */

export async function factorStatus(ctx: RequestContext): Promise<{ enrolled: boolean; recoveryCodesLeft: number }> {
  const factor = await store.findFactor(ctx.trx, ctx.userId);
  return { enrolled: Boolean(factor?.confirmed_at), recoveryCodesLeft: factor?.confirmed_at ? await store.recoveryCodesLeft(ctx.trx, ctx.userId) : 0 };
}

/** A new seed to scan; not in force until a code from it is confirmed. */
export async function startEnrolment(d: AuthDeps, ctx: RequestContext): Promise<{ secret: string; uri: string; qr: string }> {
  const factor = await store.findFactor(ctx.trx, ctx.userId);
  if (factor?.confirmed_at) throw fail('already_enrolled');
  const user = await store.findUser(ctx.trx, ctx.userId);
  const secret = d.secondFactor.newSecret();
  await store.startFactor(ctx.trx, ctx.userId, d.secondFactor.encrypt(secret), d.clock.now());
  const uri = d.secondFactor.uri(secret, user!.email);
  return { secret, uri, qr: await d.secondFactor.qrDataUrl(uri) };
}

/** A correct code puts the factor in force: this session counts as verified, ten recovery codes are shown once. */
export async function confirmEnrolment(d: AuthDeps, ctx: RequestContext, code: string): Promise<{ recoveryCodes: string[] }> {
  const now = d.clock.now();
  const factor = await store.findFactor(ctx.trx, ctx.userId);
  if (!factor || factor.confirmed_at) throw fail('no_enrolment');
  const step = d.secondFactor.acceptedStep(d.secondFactor.decrypt(factor.secret_enc), code, now, null);
  if (step === undefined || !(await store.useStep(ctx.trx, ctx.userId, step, now))) {
    throw fail('invalid_code', { reason: 'enrolment', field: 'code' });
  }
  const codes = d.secondFactor.newRecoveryCodes();
  await store.replaceRecoveryCodes(ctx.trx, ctx.userId, codes.map((c) => d.secondFactor.recoveryHash(ctx.userId, c)));
  await store.markSessionMfaVerified(ctx.trx, ctx.tenantId, ctx.sessionId);
  await recordAudit(ctx.trx, { tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'auth.totp_enrolled', subjectType: 'user', subjectId: ctx.userId, requestId: ctx.requestId, ip: ctx.ip }, now);
  return { recoveryCodes: codes };
}

/** An administrator removes a user's factor (lost phone): the user's sessions end and the user is told by mail. */
export async function resetFactor(d: AuthDeps, userId: string): Promise<boolean> {
  const removed = await store.deleteFactor(d.db, userId);
  if (!removed) return false;
  await endUserSessions(d, userId, 'ended_by_admin');
  const user = await store.findUser(d.db, userId);
  if (user) sendInBackground(d.mailer, factorResetMail(user), d.logger);
  return true;
}
