import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit-store.js';
import { inTenant } from '../db/tenant-transaction.js';
import { Forbidden, HttpError, Invalid, NotFound, Unauthorized } from '../http/errors.js';
import type { Logger } from '../log/logger.js';
import { sendInBackground, type Mailer } from '../mail/mailer.js';
import { accountLockedMail, invitationMail, recoveryCodeMail } from '../mail/templates.js';
import * as store from './auth-store.js';
import type { RequestContext } from './context.js';
import { brokenRule, describePolicy, MAX_PASSWORD_LENGTH, type PolicyDescription } from './password-policy.js';
import type { PasswordHasher } from './password-hasher.js';
import type { SessionTokens } from './session-token.js';
import { effectiveRights } from '../tenancy/rights.js';

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

  async login(email: string, password: string, meta: ClientMeta): Promise<{ token: string; result: LoginResult }> {
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

    const previous = await store.previousLogin(this.d.db, user.id);
    const created = await inTenant(this.d.db, user.tenant_id, async (trx) => {
      if (!(await store.hasMembership(trx, user.tenant_id, user.id))) return undefined;
      return this.openSession(trx, user.id, user.tenant_id, meta, now);
    });
    if (!created) return failure('no_membership');

    await store.markSuccessfulLogin(this.d.db, user.id, now, meta.ip);
    await store.insertLoginEvent(this.d.db, {
      tenantId: user.tenant_id, userId: user.id, emailHash: null, outcome: 'success', reason: 'ok', ip: meta.ip, at: now,
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

  /** A new session row and token; `absoluteExpiresAt` is carried over on renewal so it never extends. */
  private async openSession(
    trx: Knex.Transaction, userId: string, tenantId: string, meta: ClientMeta, now: Date,
    carry?: { createdAt: Date; absoluteExpiresAt: Date },
  ): Promise<{ token: string; info: SessionInfo }> {
    const settings = await store.tenantSettings(trx, tenantId);
    const absoluteExpiresAt = carry?.absoluteExpiresAt ?? new Date(now.getTime() + settings.absolute_hours * 3_600_000);
    const sessionId = await store.insertSession(trx, {
      tenant_id: tenantId, user_id: userId, created_at: carry?.createdAt ?? now, last_activity_at: now,
      absolute_expires_at: absoluteExpiresAt, ip: meta.ip ?? null, user_agent: meta.userAgent?.slice(0, 200) ?? null,
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
    const reachable = await store.tenantsOfUser(trx, userId);
    const tenants = (await trx('tenants').whereIn('id', reachable).whereNull('deactivated_at').orderBy('name').select('id', 'name')) as { id: string; name: string }[];
    return {
      user: { id: user.id, email: user.email, name: user.name },
      tenant: { id: tenant.id, name: tenant.name, isVendor: tenant.is_vendor },
      permissions: [...effectiveRights(rights, tenant.is_vendor)].sort(),
      modules: [...modules].sort(),
      mustChangePassword: user.must_change_password,
      session: { id: sessionId, idleMinutes: settings.idle_minutes, absoluteExpiresAt: absoluteExpiresAt.toISOString() },
      passwordPolicy: describePolicy(settings.password_profile),
      tenants,
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
    });
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
    const opened = await inTenant(this.d.db, targetTenantId, async (trx) => {
      if (!(await store.hasMembership(trx, targetTenantId, ctx.userId))) return undefined;
      const session = await this.openSession(trx, ctx.userId, targetTenantId, meta, now, { createdAt: now, absoluteExpiresAt: old.absolute_expires_at });
      await recordAudit(trx, {
        tenantId: targetTenantId, actorUserId: ctx.userId, type: 'auth.tenant_switch_in', details: { from: ctx.tenantId }, requestId: ctx.requestId, ip: ctx.ip,
      }, now);
      return session;
    });
    if (!opened) throw new Forbidden('no_grant', 'You have no access to this tenant.');
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
      throw new Invalid('The current password is not correct.', 'currentPassword', 'invalid_current_password');
    }
    const failure = await this.policyFailure(ctx.userId, ctx.tenantId, newPassword, user.hash);
    if (failure) throw failure;
    const now = this.d.clock.now();
    await store.setPassword(ctx.trx, ctx.userId, await this.d.hasher.hash(newPassword), now);
    await store.deleteUserSessions(ctx.trx, ctx.tenantId, ctx.userId, ctx.sessionId);
    await recordAudit(ctx.trx, { tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'auth.password_changed', subjectType: 'user', subjectId: ctx.userId, requestId: ctx.requestId, ip: ctx.ip }, now);
    await this.endSessionsElsewhere(ctx.userId, ctx.tenantId);
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

  async requestRecovery(email: string, meta: ClientMeta): Promise<void> {
    const now = this.d.clock.now();
    const user = await store.findUserByEmail(this.d.db, email);
    // Same answer and about the same work whether or not the account exists.
    const code = String(randomInt(0, 100_000_000)).padStart(8, '0');
    if (!user || user.status === 'deleted') {
      this.codeHash('00000000-0000-0000-0000-000000000000', code);
      this.d.logger.info({ requestId: meta.requestId }, 'recovery requested');
      return;
    }
    await store.replaceRecoveryCode(this.d.db, user.id, this.codeHash(user.id, code), new Date(now.getTime() + RECOVERY_CODE_MINUTES * 60_000), now);
    sendInBackground(this.d.mailer, recoveryCodeMail(user.email, code, RECOVERY_CODE_MINUTES), this.d.logger);
    this.d.logger.info({ requestId: meta.requestId }, 'recovery requested');
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
      await store.countRecoveryAttempt(this.d.db, active.id);
      await store.insertLoginEvent(this.d.db, { tenantId: user.tenant_id, userId: user.id, emailHash: null, outcome: 'failure', reason: 'recovery_code_wrong', ip: meta.ip, at: now });
      throw invalidCode();
    }
    const failure = await this.policyFailure(user.id, user.tenant_id, newPassword, user.hash);
    if (failure) throw failure;
    if (!(await store.consumeRecoveryCode(this.d.db, active.id, now))) throw invalidCode();
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
