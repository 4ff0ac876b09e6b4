import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit-store.js';
import { inTenant } from '../db/tenant-transaction.js';
import { Conflict, Forbidden, HttpError, Invalid, NotFound, Unauthorized } from '../http/errors.js';
import type { Logger } from '../log/logger.js';
import { sendInBackground, type Mailer } from '../mail/mailer.js';
import { accountLockedMail, factorResetMail, invitationMail, recoveryCodeMail } from '../mail/templates.js';
import * as store from './auth-store.js';
import { RefusalToKeep, type RequestContext } from './context.js';
import { brokenRule, describePolicy, MAX_PASSWORD_LENGTH, type PolicyDescription } from './password-policy.js';
import type { PasswordHasher } from './password-hasher.js';
import type { SessionTokens } from './session-token.js';
import type { SecondFactor } from './second-factor.js';
import { mfaRequiredFor } from './mfa-policy.js';
import { effectiveRights } from '../tenancy/rights.js';
import { visitAllowed } from '../access/access-service.js';

export const RECOVERY_CODE_MINUTES = 10;
export const RECOVERY_MAX_ATTEMPTS = 5;
export const INVITATION_HOURS = 24;

export interface ClientMeta {
  ip: string | undefined;
  userAgent: string | undefined;
  requestId: string;
}

export interface SessionInfo {
  user: { id: string; email: string; name: string };
  tenant: { id: string; name: string; isVendor: boolean };
  permissions: string[];
  modules: string[];
  mustChangePassword: boolean;
  session: { id: string; idleMinutes: number; absoluteExpiresAt: string };
  passwordPolicy: PolicyDescription;
  /** Tenants this user may switch to (home tenant and vendor grants); one entry for bank staff. */
  tenants: { id: string; name: string }[];
  /** Second factor: enrolled, used for this session, and required of this user here. */
  mfa: { enrolled: boolean; verified: boolean; required: boolean };
}

/** Password accepted, second factor outstanding: no session yet, only a short-lived challenge. */
export interface SecondFactorChallenge {
  challenge: string;
}

export interface LoginResult extends SessionInfo {
  previousLogin: { at: string; ip: string | null; failuresSince: number } | null;
}

export interface AuthDeps {
  db: Knex;
  hasher: PasswordHasher;
  tokens: SessionTokens;
  mailer: Mailer;
  clock: Clock;
  logger: Logger;
  hmacKey: string;
  secondFactor: SecondFactor;
}

function invalidCredentials(): Unauthorized {
  return new Unauthorized('invalid_credentials', 'The email address or password is not correct, or the account is locked.');
}

function invalidCode(): Invalid {
  return new Invalid('The code is wrong or no longer valid. Request a new code if needed.', 'code', 'invalid_code');
}

export class AuthService {
  constructor(private readonly d: AuthDeps) {}

  /** A keyed hash, so a login event can be matched to an email later without storing what was typed. */
  emailHash(email: string): string {
    return createHmac('sha256', this.d.hmacKey).update(`email:${email.trim().toLowerCase()}`).digest('hex');
  }

  private codeHash(userId: string, code: string): string {
    return createHmac('sha256', this.d.hmacKey).update(`recovery:${userId}:${code}`).digest('hex');
  }

  async login(email: string, password: string, meta: ClientMeta): Promise<{ token: string; result: LoginResult } | SecondFactorChallenge> {
    const now = this.d.clock.now();
    const user = await store.findUserByEmail(this.d.db, email);
    // Equal work for every outcome: a hash is always verified, real or dummy.
    const passwordOk = user?.hash ? await this.d.hasher.verify(user.hash, password) : await this.d.hasher.verifyDummy(password);
    const tenant = user ? await store.findTenant(this.d.db, user.tenant_id) : undefined;

    const failure = async (reason: string): Promise<never> => {
      await store.insertLoginEvent(this.d.db, {
        tenantId: user?.tenant_id ?? null, userId: user?.id ?? null, emailHash: user ? null : this.emailHash(email),
        outcome: 'failure', reason, ip: meta.ip, at: now,
      });
      this.d.logger.info({ requestId: meta.requestId, reason }, 'login refused');
      throw invalidCredentials();
    };

    if (!user) return failure('unknown_email');
    if (user.status === 'deleted') return failure('deleted');
    if (!passwordOk) {
      const failures = await store.countFailedLogin(this.d.db, user.id, now);
      if (failures === store.LOCK_AFTER_FAILURES) {
        sendInBackground(this.d.mailer, accountLockedMail(user.email), this.d.logger);
        this.d.logger.info({ userId: user.id }, 'account locked after failed logins');
      }
      return failure(user.status === 'locked' || failures >= store.LOCK_AFTER_FAILURES ? 'locked' : 'wrong_password');
    }
    if (user.status === 'locked') return failure('locked');
    if (!tenant || tenant.deactivated_at) return failure('tenant_inactive');

    const factor = await store.findFactor(this.d.db, user.id);
    if (factor?.confirmed_at) {
      // The status read above is from before the hash: a concurrent failure may have locked the account since.
      const fresh = await store.findUser(this.d.db, user.id);
      if (fresh?.status !== 'active') return failure('locked');
      const member = await inTenant(this.d.db, user.tenant_id, (trx) => store.hasMembership(trx, user.tenant_id, user.id));
      if (!member) return failure('no_membership');
      // The failure counter is left alone: only the second step decides the outcome of this sign-in.
      this.d.logger.info({ requestId: meta.requestId, userId: user.id }, 'login awaits second factor');
      return { challenge: this.d.tokens.signChallenge(user.id, user.tenant_id, Number(fresh.sign_in_seq)) };
    }
    return this.completeLogin(user, meta, now, false);
  }

  /** Opens the session after every factor passed; records the success and resets the failure counter. */
  private async completeLogin(
    user: { id: string; tenant_id: string }, meta: ClientMeta, now: Date, mfaVerified: boolean, reason = 'ok', challengeSeq?: number,
  ): Promise<{ token: string; result: LoginResult }> {
    const previous = await store.previousLogin(this.d.db, user.id);
    const created = await inTenant(this.d.db, user.tenant_id, async (trx) => {
      if (!(await store.hasMembership(trx, user.tenant_id, user.id))) return 'no_membership' as const;
      // Decided in one statement, in the transaction that opens the session: a lock set by a
      // concurrent failure wins, and then no session exists.
      if (!(await store.claimSuccessfulLogin(trx, user.id, now, meta.ip, challengeSeq))) return challengeSeq === undefined ? 'locked' as const : 'locked_or_challenge_used' as const;
      return this.openSession(trx, user.id, user.tenant_id, meta, now, undefined, mfaVerified);
    });
    if (typeof created === 'string') {
      await store.insertLoginEvent(this.d.db, { tenantId: user.tenant_id, userId: user.id, emailHash: null, outcome: 'failure', reason: created, ip: meta.ip, at: now });
      this.d.logger.info({ requestId: meta.requestId, reason: created }, 'login refused');
      throw invalidCredentials();
    }

    await store.insertLoginEvent(this.d.db, {
      tenantId: user.tenant_id, userId: user.id, emailHash: null, outcome: 'success', reason, ip: meta.ip, at: now,
    });
    this.d.logger.info({ requestId: meta.requestId, userId: user.id, tenantId: user.tenant_id }, 'login succeeded');
    return {
      token: created.token,
      result: {
        ...created.info,
        previousLogin: previous ? { at: previous.at.toISOString(), ip: previous.ip, failuresSince: previous.failuresSince } : null,
      },
    };
  }

  /**
   * The second step: a current TOTP code (each accepted once) or an unused recovery code. Wrong
   * codes count toward the same lockout as wrong passwords and are recorded as failed sign-ins.
   */
  async completeSecondFactor(challenge: string | undefined, answer: { code?: string | undefined; recoveryCode?: string | undefined }, meta: ClientMeta): Promise<{ token: string; result: LoginResult }> {
    const now = this.d.clock.now();
    const claims = challenge ? this.d.tokens.verifyChallenge(challenge) : undefined;
    if (!claims) throw new Unauthorized('challenge_expired', 'Please sign in again with your password.');
    const user = await store.findUser(this.d.db, claims.sub);
    const fail = async (reason: string): Promise<never> => {
      await store.insertLoginEvent(this.d.db, { tenantId: claims.tid, userId: claims.sub, emailHash: null, outcome: 'failure', reason, ip: meta.ip, at: now });
      this.d.logger.info({ requestId: meta.requestId, reason }, 'second factor refused');
      throw new Unauthorized('invalid_code', 'The code is not correct. Enter the current code from your app, or a recovery code.');
    };
    if (!user || user.status !== 'active') return fail(user?.status === 'locked' ? 'locked' : 'inactive');
    // Single use: a sign-in since the challenge was issued (its own, or any other) retired it.
    if (Number(user.sign_in_seq) !== claims.seq) {
      await store.insertLoginEvent(this.d.db, { tenantId: claims.tid, userId: claims.sub, emailHash: null, outcome: 'failure', reason: 'challenge_used', ip: meta.ip, at: now });
      throw new Unauthorized('challenge_expired', 'Please sign in again with your password.');
    }
    const factor = await store.findFactor(this.d.db, user.id);
    if (!factor?.confirmed_at) return fail('no_factor');
    let accepted = false;
    let reason = 'ok_totp';
    if (answer.code !== undefined) {
      const secret = this.d.secondFactor.decrypt(factor.secret_enc);
      const step = this.d.secondFactor.acceptedStep(secret, answer.code, now, factor.last_step === null ? null : Number(factor.last_step));
      accepted = step !== undefined && (await store.useStep(this.d.db, user.id, step));
    } else if (answer.recoveryCode !== undefined) {
      reason = 'ok_recovery_code';
      accepted = await store.useRecoveryCode(this.d.db, user.id, this.d.secondFactor.recoveryHash(user.id, answer.recoveryCode), now);
    }
    if (!accepted) {
      const failures = await store.countFailedLogin(this.d.db, user.id, now);
      if (failures === store.LOCK_AFTER_FAILURES) {
        sendInBackground(this.d.mailer, accountLockedMail(user.email), this.d.logger);
        this.d.logger.info({ userId: user.id }, 'account locked after failed logins');
      }
      return fail(failures >= store.LOCK_AFTER_FAILURES ? 'locked' : 'wrong_code');
    }
    return this.completeLogin(user, meta, now, true, reason, claims.seq);
  }

  /** A new session row and token; `absoluteExpiresAt` is carried over on renewal so it never extends. */
  private async openSession(
    trx: Knex.Transaction, userId: string, tenantId: string, meta: ClientMeta, now: Date,
    carry?: { createdAt: Date; absoluteExpiresAt: Date },
    mfaVerified = false,
  ): Promise<{ token: string; info: SessionInfo }> {
    const settings = await store.tenantSettings(trx, tenantId);
    const absoluteExpiresAt = carry?.absoluteExpiresAt ?? new Date(now.getTime() + settings.absolute_hours * 3_600_000);
    const sessionId = await store.insertSession(trx, {
      tenant_id: tenantId, user_id: userId, created_at: carry?.createdAt ?? now, last_activity_at: now,
      absolute_expires_at: absoluteExpiresAt, ip: meta.ip ?? null, user_agent: meta.userAgent?.slice(0, 200) ?? null, mfa_verified: mfaVerified,
    });
    const token = this.d.tokens.sign({ sid: sessionId, sub: userId, tid: tenantId });
    return { token, info: await this.describeSession(trx, userId, tenantId, sessionId, absoluteExpiresAt) };
  }

  private async describeSession(trx: Knex.Transaction, userId: string, tenantId: string, sessionId: string, absoluteExpiresAt: Date): Promise<SessionInfo> {
    const now = this.d.clock.now();
    const [user, tenant, settings, rights, modules] = [
      await store.findUser(trx, userId),
      await store.findTenant(trx, tenantId),
      await store.tenantSettings(trx, tenantId),
      await store.rightsOf(trx, tenantId, userId),
      await store.licensedModules(trx, tenantId, now.toISOString().slice(0, 10)),
    ];
    if (!user || !tenant) throw new Unauthorized('session_expired', 'Your session has ended. Please sign in again.');
    const session = await store.findSession(trx, tenantId, sessionId);
    const factor = await store.findFactor(trx, userId);
    const effective = effectiveRights(rights, tenant.is_vendor);
    const reachable = await store.tenantsOfUser(trx, userId);
    const tenants = await trx('tenants').whereIn('id', reachable).whereNull('deactivated_at').orderBy('name').select<{ id: string; name: string }[]>('id', 'name');
    return {
      user: { id: user.id, email: user.email, name: user.name },
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
      },
    };
  }

  async sessionInfo(ctx: RequestContext): Promise<SessionInfo> {
    const session = await store.findSession(ctx.trx, ctx.tenantId, ctx.sessionId);
    if (!session) throw new Unauthorized('session_expired', 'Your session has ended. Please sign in again.');
    return this.describeSession(ctx.trx, ctx.userId, ctx.tenantId, ctx.sessionId, session.absolute_expires_at);
  }

  /** Renewal: a new sid, the old row deleted, the absolute limit kept. Never resets the failure counter. */
  async refresh(ctx: RequestContext, meta: ClientMeta): Promise<{ token: string; info: SessionInfo }> {
    const old = await store.findSession(ctx.trx, ctx.tenantId, ctx.sessionId);
    if (!old) throw new Unauthorized('session_expired', 'Your session has ended. Please sign in again.');
    await store.deleteSession(ctx.trx, ctx.tenantId, ctx.sessionId);
    return this.openSession(ctx.trx, ctx.userId, ctx.tenantId, meta, this.d.clock.now(), {
      createdAt: old.created_at, absoluteExpiresAt: old.absolute_expires_at,
    }, Boolean(old.mfa_verified));
  }

  /**
   * Vendor staff move into a granted bank (or back home): a new session there, the old one deleted
   * at once, the absolute limit carried over, and the move written to both tenants' audit logs.
   */
  async switchTenant(ctx: RequestContext, targetTenantId: string, meta: ClientMeta): Promise<{ token: string; info: SessionInfo }> {
    const now = this.d.clock.now();
    if (targetTenantId === ctx.tenantId) throw new Invalid('You are in this tenant already.', 'tenantId', 'already_in_tenant');
    const reachable = await store.tenantsOfUser(ctx.trx, ctx.userId);
    const target = await store.findTenant(ctx.trx, targetTenantId);
    if (!reachable.includes(targetTenantId) || !target || target.deactivated_at) {
      throw new Forbidden('no_grant', 'You have no access to this tenant.');
    }
    const old = await store.findSession(ctx.trx, ctx.tenantId, ctx.sessionId);
    if (!old) throw new Unauthorized('session_expired', 'Your session has ended. Please sign in again.');
    // Reaching into another bank's data needs a session that passed the second factor.
    if (!old.mfa_verified) throw new Forbidden('mfa_required', 'Switching banks needs a sign-in with your second factor. Set it up under "Security", then sign in again.');
    const opened = await inTenant(this.d.db, targetTenantId, async (trx) => {
      if (!(await store.hasMembership(trx, targetTenantId, ctx.userId))) return undefined;
      // The bank decides (issue 17): outside an approved window the door stays shut, and the attempt is on the bank's record.
      const visit = await visitAllowed(trx, targetTenantId, ctx.userId, now);
      if (!visit.allowed) {
        await recordAudit(trx, {
          tenantId: targetTenantId, actorUserId: ctx.userId, type: 'vendor.switch_refused', details: { from: ctx.tenantId }, requestId: ctx.requestId, ip: ctx.ip,
        }, now);
        return 'refused' as const;
      }
      const session = await this.openSession(trx, ctx.userId, targetTenantId, meta, now, { createdAt: now, absoluteExpiresAt: old.absolute_expires_at }, true);
      await recordAudit(trx, {
        tenantId: targetTenantId, actorUserId: ctx.userId, type: 'auth.tenant_switch_in', details: { from: ctx.tenantId, accessRequestId: visit.requestId }, requestId: ctx.requestId, ip: ctx.ip,
      }, now);
      return session;
    });
    if (!opened) throw new Forbidden('no_grant', 'You have no access to this tenant.');
    if (opened === 'refused') {
      await recordAudit(ctx.trx, {
        tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'vendor.switch_refused', details: { to: targetTenantId }, requestId: ctx.requestId, ip: ctx.ip,
      }, now);
      throw new RefusalToKeep(new Forbidden('access_not_approved', 'This bank has not approved your access for now. File an access request and wait for its approval.'));
    }
    await store.deleteSession(ctx.trx, ctx.tenantId, ctx.sessionId);
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'auth.tenant_switch_out', details: { to: targetTenantId }, requestId: ctx.requestId, ip: ctx.ip,
    }, now);
    return opened;
  }

  /** Logout works even for an expired token: whatever session it names is deleted. */
  async logout(token: string | undefined): Promise<void> {
    const claims = token ? this.d.tokens.verify(token) : undefined;
    if (!claims) return;
    await inTenant(this.d.db, claims.tid, (trx) => store.deleteSession(trx, claims.tid, claims.sid));
  }

  private async policyFailure(userId: string, tenantId: string, newPassword: string, currentHash: string | null): Promise<HttpError | undefined> {
    const user = await store.findUser(this.d.db, userId);
    const tenant = await store.findTenant(this.d.db, tenantId);
    const settings = await inTenant(this.d.db, tenantId, (trx) => store.tenantSettings(trx, tenantId));
    const broken = brokenRule(newPassword, { profile: settings.password_profile, email: user?.email ?? '', tenantName: tenant?.name ?? '' });
    if (broken) return new Invalid(broken.message, 'newPassword', 'weak_password', broken.rule);
    if (currentHash && (await this.d.hasher.verify(currentHash, newPassword))) {
      return new Invalid('The new password must differ from the current one.', 'newPassword', 'weak_password', 'not_new');
    }
    return undefined;
  }

  async changePassword(ctx: RequestContext, currentPassword: string, newPassword: string): Promise<void> {
    const user = await store.findUser(ctx.trx, ctx.userId);
    if (!user?.hash || !(await this.d.hasher.verify(user.hash, currentPassword))) {
      await this.countWrongCurrentPassword(ctx);
      // Kept although refused: the counted failure and its records commit with the request.
      throw new RefusalToKeep(new Invalid('The current password is not correct.', 'currentPassword', 'invalid_current_password'));
    }
    const failure = await this.policyFailure(ctx.userId, ctx.tenantId, newPassword, user.hash);
    if (failure) throw failure;
    const now = this.d.clock.now();
    await store.setPassword(ctx.trx, ctx.userId, await this.d.hasher.hash(newPassword), now);
    await store.deleteUserSessions(ctx.trx, ctx.tenantId, ctx.userId, ctx.sessionId);
    await recordAudit(ctx.trx, { tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'auth.password_changed', subjectType: 'user', subjectId: ctx.userId, requestId: ctx.requestId, ip: ctx.ip }, now);
    await this.endSessionsElsewhere(ctx.userId, ctx.tenantId);
  }

  /**
   * A wrong current password from a session is a failed sign-in (issue 13, item 8): it counts
   * toward the same lock, is recorded in login_events and the bank's audit log, and the lock ends
   * the session at once (sessions in other tenants are refused by the guard's status check).
   */
  private async countWrongCurrentPassword(ctx: RequestContext): Promise<void> {
    const now = this.d.clock.now();
    const failures = await store.countFailedLogin(ctx.trx, ctx.userId, now);
    const locked = failures >= store.LOCK_AFTER_FAILURES;
    await store.insertLoginEvent(ctx.trx, {
      tenantId: ctx.tenantId, userId: ctx.userId, emailHash: null, outcome: 'failure', reason: 'wrong_current_password', ip: ctx.ip, at: now,
    });
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'auth.password_change_failed', subjectType: 'user', subjectId: ctx.userId,
      details: { failures, locked }, requestId: ctx.requestId, ip: ctx.ip,
    }, now);
    this.d.logger.info({ requestId: ctx.requestId, userId: ctx.userId, failures }, 'password change refused: wrong current password');
    if (failures === store.LOCK_AFTER_FAILURES) {
      await store.deleteUserSessions(ctx.trx, ctx.tenantId, ctx.userId);
      const user = await store.findUser(ctx.trx, ctx.userId);
      if (user) sendInBackground(this.d.mailer, accountLockedMail(user.email), this.d.logger);
      this.d.logger.info({ userId: ctx.userId }, 'account locked after failed logins');
    }
  }

  /** Sessions of the user in tenants other than `exceptTenant` (vendor staff may hold several). */
  private async endSessionsElsewhere(userId: string, exceptTenant?: string): Promise<void> {
    for (const tenantId of await store.tenantsOfUser(this.d.db, userId)) {
      if (tenantId === exceptTenant) continue;
      await inTenant(this.d.db, tenantId, (trx) => store.deleteUserSessions(trx, tenantId, userId));
    }
  }

  async endAllSessions(userId: string): Promise<void> {
    await this.endSessionsElsewhere(userId);
  }

  /**
   * Answers at once: everything that depends on whether the account exists (the lookup, hashing
   * and storing the code, the mail) runs after the response has been sent, so the answer's timing
   * tells nothing (issue 13, item 9). A failure there is logged; the caller learns nothing either way.
   */
  async requestRecovery(email: string, meta: ClientMeta): Promise<void> {
    this.d.logger.info({ requestId: meta.requestId }, 'recovery requested');
    setImmediate(() => {
      this.issueRecoveryCode(email).catch((err: unknown) => {
        this.d.logger.error({ requestId: meta.requestId, errName: err instanceof Error ? err.name : 'unknown' }, 'recovery code not issued');
      });
    });
  }

  private async issueRecoveryCode(email: string): Promise<void> {
    const now = this.d.clock.now();
    const user = await store.findUserByEmail(this.d.db, email);
    if (!user || user.status === 'deleted') return;
    const code = String(randomInt(0, 100_000_000)).padStart(8, '0');
    await store.replaceRecoveryCode(this.d.db, user.id, this.codeHash(user.id, code), new Date(now.getTime() + RECOVERY_CODE_MINUTES * 60_000), now);
    sendInBackground(this.d.mailer, recoveryCodeMail(user.email, code, RECOVERY_CODE_MINUTES), this.d.logger);
  }

  async confirmRecovery(email: string, code: string, newPassword: string, meta: ClientMeta): Promise<void> {
    const now = this.d.clock.now();
    const user = await store.findUserByEmail(this.d.db, email);
    if (!user || user.status === 'deleted') throw invalidCode();
    const active = await store.activeRecoveryCode(this.d.db, user.id);
    if (!active || active.expires_at.getTime() <= now.getTime() || active.attempts >= RECOVERY_MAX_ATTEMPTS) throw invalidCode();
    const expected = Buffer.from(active.code_hash, 'hex');
    const given = Buffer.from(this.codeHash(user.id, code), 'hex');
    if (!timingSafeEqual(expected, given)) {
      // Counted in one statement that also enforces the limit: concurrent guesses never exceed it.
      const counted = await store.countRecoveryAttempt(this.d.db, active.id, RECOVERY_MAX_ATTEMPTS);
      const reason = counted === undefined ? 'recovery_code_exhausted' : 'recovery_code_wrong';
      await store.insertLoginEvent(this.d.db, { tenantId: user.tenant_id, userId: user.id, emailHash: null, outcome: 'failure', reason, ip: meta.ip, at: now });
      throw invalidCode();
    }
    const failure = await this.policyFailure(user.id, user.tenant_id, newPassword, user.hash);
    if (failure) throw failure;
    if (!(await store.consumeRecoveryCode(this.d.db, active.id, now, RECOVERY_MAX_ATTEMPTS))) throw invalidCode();
    await store.setPassword(this.d.db, user.id, await this.d.hasher.hash(newPassword), now);
    await store.unlockUser(this.d.db, user.id);
    await this.endAllSessions(user.id);
    await store.insertLoginEvent(this.d.db, { tenantId: user.tenant_id, userId: user.id, emailHash: null, outcome: 'success', reason: 'recovered', ip: meta.ip, at: now });
    await inTenant(this.d.db, user.tenant_id, (trx) =>
      recordAudit(trx, { tenantId: user.tenant_id, actorUserId: user.id, type: 'auth.recovered', subjectType: 'user', subjectId: user.id, requestId: meta.requestId, ip: meta.ip }, now),
    );
  }

  /** Creates a single-use link (stored hashed, 24 h) and mails it. Returns the link for the caller's audit. */
  async issueInvitation(userId: string, purpose: 'invitation' | 'reset', publicUrl: string, db: Knex = this.d.db): Promise<string> {
    const now = this.d.clock.now();
    const user = await store.findUser(db, userId);
    if (!user) throw new NotFound();
    const token = randomBytes(32).toString('base64url');
    await store.insertInvitationToken(db, userId, this.tokenHash(token), purpose, new Date(now.getTime() + INVITATION_HOURS * 3_600_000), now);
    const link = `${publicUrl.replace(/\/$/, '')}/invitation/${token}`;
    try {
      await this.d.mailer.send(invitationMail(user.email, link, purpose, INVITATION_HOURS));
    } catch {
      // Thrown inside the caller's transaction: the user or reset is rolled back with it.
      throw new HttpError(502, 'mail_failed', 'The mail with the link could not be sent. Nothing was changed; please try again, or ask the operator to check the mail settings.');
    }
    return link;
  }

  private tokenHash(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }

  async acceptInvitation(token: string, newPassword: string, meta: ClientMeta): Promise<void> {
    const now = this.d.clock.now();
    const row = await this.d.db('invitation_tokens')
      .where({ token_hash: this.tokenHash(token) }).whereNull('used_at').where('expires_at', '>', now).first('user_id');
    const userId = (row as { user_id: string } | undefined)?.user_id;
    const user = userId ? await store.findUser(this.d.db, userId) : undefined;
    if (!user || user.status === 'deleted') throw new Invalid('This link is not valid any more. Ask your administrator for a new one.', 'token', 'invalid_token');
    const failure = await this.policyFailure(user.id, user.tenant_id, newPassword, user.hash);
    if (failure) throw failure;
    if ((await store.consumeInvitationToken(this.d.db, this.tokenHash(token), now)) !== user.id) {
      throw new Invalid('This link is not valid any more. Ask your administrator for a new one.', 'token', 'invalid_token');
    }
    await store.setPassword(this.d.db, user.id, await this.d.hasher.hash(newPassword), now);
    await store.unlockUser(this.d.db, user.id);
    await this.endAllSessions(user.id);
    await inTenant(this.d.db, user.tenant_id, (trx) =>
      recordAudit(trx, { tenantId: user.tenant_id, actorUserId: user.id, type: 'auth.invitation_accepted', subjectType: 'user', subjectId: user.id, requestId: meta.requestId, ip: meta.ip }, now),
    );
  }

  async listSessions(ctx: RequestContext): Promise<{ id: string; createdAt: string; lastActivityAt: string; ip: string | null; userAgent: string | null; current: boolean }[]> {
    const rows = await store.listUserSessions(ctx.trx, ctx.tenantId, ctx.userId);
    return rows.map((s) => ({
      id: s.id, createdAt: s.created_at.toISOString(), lastActivityAt: s.last_activity_at.toISOString(),
      ip: s.ip, userAgent: s.user_agent, current: s.id === ctx.sessionId,
    }));
  }

  async endOwnSession(ctx: RequestContext, sessionId: string): Promise<void> {
    const session = await store.findSession(ctx.trx, ctx.tenantId, sessionId);
    if (!session || session.user_id !== ctx.userId) throw new NotFound('There is no such session.');
    await store.deleteSession(ctx.trx, ctx.tenantId, sessionId);
  }

  /** Retention: successful login events and info audit events after 30 days, expired sessions. Errors are kept. `onlyTenants` narrows it (tests share one database). */
  // --- second factor: enrolment and reset ---------------------------------------------------------

  async factorStatus(ctx: RequestContext): Promise<{ enrolled: boolean; recoveryCodesLeft: number }> {
    const factor = await store.findFactor(this.d.db, ctx.userId);
    return { enrolled: Boolean(factor?.confirmed_at), recoveryCodesLeft: factor?.confirmed_at ? await store.recoveryCodesLeft(this.d.db, ctx.userId) : 0 };
  }

  /** A new seed to scan; not in force until a code from it is confirmed. */
  async startEnrolment(ctx: RequestContext): Promise<{ secret: string; uri: string; qr: string }> {
    const factor = await store.findFactor(this.d.db, ctx.userId);
    if (factor?.confirmed_at) throw new Conflict('already_enrolled', 'A second factor is set up already. Ask an administrator to reset it if you lost it.');
    const user = await store.findUser(this.d.db, ctx.userId);
    const secret = this.d.secondFactor.newSecret();
    await store.startFactor(this.d.db, ctx.userId, this.d.secondFactor.encrypt(secret), this.d.clock.now());
    const uri = this.d.secondFactor.uri(secret, user!.email);
    return { secret, uri, qr: await this.d.secondFactor.qrDataUrl(uri) };
  }

  /** A correct code puts the factor in force: this session counts as verified, ten recovery codes are shown once. */
  async confirmEnrolment(ctx: RequestContext, code: string): Promise<{ recoveryCodes: string[] }> {
    const now = this.d.clock.now();
    const factor = await store.findFactor(this.d.db, ctx.userId);
    if (!factor || factor.confirmed_at) throw new Conflict('no_enrolment', 'Start the set-up first.');
    const step = this.d.secondFactor.acceptedStep(this.d.secondFactor.decrypt(factor.secret_enc), code, now, null);
    if (step === undefined || !(await store.useStep(this.d.db, ctx.userId, step, now))) {
      throw new Invalid('The code does not match. Check the time on your phone and enter the current code.', 'code', 'invalid_code');
    }
    const codes = this.d.secondFactor.newRecoveryCodes();
    await store.replaceRecoveryCodes(this.d.db, ctx.userId, codes.map((c) => this.d.secondFactor.recoveryHash(ctx.userId, c)));
    await ctx.trx('sessions').where({ tenant_id: ctx.tenantId, id: ctx.sessionId }).update({ mfa_verified: true });
    await recordAudit(ctx.trx, { tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'auth.totp_enrolled', subjectType: 'user', subjectId: ctx.userId, requestId: ctx.requestId, ip: ctx.ip }, now);
    return { recoveryCodes: codes };
  }

  /** An administrator removes a user's factor (lost phone): the user's sessions end and the user is told by mail. */
  async resetFactor(userId: string): Promise<boolean> {
    const removed = await store.deleteFactor(this.d.db, userId);
    if (!removed) return false;
    await this.endAllSessions(userId);
    const user = await store.findUser(this.d.db, userId);
    if (user) sendInBackground(this.d.mailer, factorResetMail(user.email), this.d.logger);
    return true;
  }

  /**
   * Sessions past their idle limit. Old sign-in records and audit events are the retention role's
   * (audit/chains.ts): the API role can insert them but not delete them.
   */
  async purge(onlyTenants?: string[]): Promise<{ sessions: number }> {
    const now = this.d.clock.now();
    let sessions = 0;
    for (const tenantId of onlyTenants ?? (await store.allTenantIds(this.d.db))) {
      await inTenant(this.d.db, tenantId, async (trx) => {
        const settings = await store.tenantSettings(trx, tenantId);
        sessions += await store.deleteExpiredSessions(trx, tenantId, new Date(now.getTime() - settings.idle_minutes * 60_000), now);
      });
    }
    return { sessions };
  }
}

export { MAX_PASSWORD_LENGTH };
