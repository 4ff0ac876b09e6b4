import type { Knex } from 'knex';
import type { AuthDeps, ClientMeta, OpenedSession, SecondFactorChallenge, SessionInfo } from './auth-types.js';
import type { RequestContext } from './context.js';
import * as enrolment from './enrolment.js';
import { emailHash } from './lockout.js';
import * as passwords from './passwords.js';
import * as recovery from './recovery.js';
import * as sessions from './sessions.js';
import * as signIn from './sign-in.js';

export type { AuthDeps, ClientMeta, LoginResult, SecondFactorChallenge, SessionInfo } from './auth-types.js';

/**
 * The one object routes and other services hold for sign-in. It keeps the dependencies; the work is
 * in the modules, one job each: sign-in.ts (password and second step), lockout.ts (failed attempts
 * and the lock, once), sessions.ts, passwords.ts, recovery.ts (codes and invitation links) and
 * enrolment.ts (second factor). Each method here is one call into them.
 */
export class AuthService {
  constructor(readonly deps: AuthDeps) {}

  emailHash(email: string): string {
    return emailHash(this.deps, email);
  }

  login(email: string, password: string, meta: ClientMeta): Promise<signIn.SignedIn | SecondFactorChallenge> {
    return signIn.login(this.deps, email, password, meta);
  }

  completeSecondFactor(challenge: string | undefined, answer: { code?: string | undefined; recoveryCode?: string | undefined }, meta: ClientMeta): Promise<signIn.SignedIn> {
    return signIn.completeSecondFactor(this.deps, challenge, answer, meta);
  }

  sessionInfo(ctx: RequestContext): Promise<SessionInfo> {
    return sessions.sessionInfo(this.deps, ctx);
  }

  profile(ctx: RequestContext): ReturnType<typeof sessions.profile> {
    return sessions.profile(ctx);
  }

  updateProfile(ctx: RequestContext, change: { locale: 'de' | 'en' | null }): ReturnType<typeof sessions.updateProfile> {
    return sessions.updateProfile(ctx, change);
  }

  refresh(ctx: RequestContext, meta: ClientMeta): Promise<OpenedSession> {
    return sessions.refresh(this.deps, ctx, meta);
  }

  switchTenant(ctx: RequestContext, targetTenantId: string, meta: ClientMeta): Promise<OpenedSession> {
    return sessions.switchTenant(this.deps, ctx, targetTenantId, meta);
  }

  logout(token: string | undefined): Promise<void> {
    return sessions.logout(this.deps, token);
  }

  listSessions(ctx: RequestContext): ReturnType<typeof sessions.listSessions> {
    return sessions.listSessions(ctx);
  }

  endOwnSession(ctx: RequestContext, sessionId: string): Promise<void> {
    return sessions.endOwnSession(this.deps, ctx, sessionId);
  }

  purge(onlyTenants?: string[]): Promise<{ sessions: number }> {
    return sessions.purgeSessions(this.deps, onlyTenants);
  }

  changePassword(ctx: RequestContext, currentPassword: string, newPassword: string): Promise<void> {
    return passwords.changePassword(this.deps, ctx, currentPassword, newPassword);
  }

  async requestRecovery(email: string, meta: ClientMeta): Promise<void> {
    recovery.requestRecovery(this.deps, email, meta);
  }

  confirmRecovery(email: string, code: string, newPassword: string, meta: ClientMeta): Promise<void> {
    return recovery.confirmRecovery(this.deps, email, code, newPassword, meta);
  }

  issueInvitation(userId: string, purpose: 'invitation' | 'reset', publicUrl: string, db: Knex = this.deps.db): Promise<string> {
    return recovery.issueInvitation(this.deps, userId, purpose, publicUrl, db);
  }

  checkInvitation(token: string): ReturnType<typeof recovery.checkInvitation> {
    return recovery.checkInvitation(this.deps, token);
  }

  acceptInvitation(token: string, newPassword: string, meta: ClientMeta): Promise<void> {
    return recovery.acceptInvitation(this.deps, token, newPassword, meta);
  }

  factorStatus(ctx: RequestContext): ReturnType<typeof enrolment.factorStatus> {
    return enrolment.factorStatus(ctx);
  }

  startEnrolment(ctx: RequestContext): ReturnType<typeof enrolment.startEnrolment> {
    return enrolment.startEnrolment(this.deps, ctx);
  }

  confirmEnrolment(ctx: RequestContext, code: string): ReturnType<typeof enrolment.confirmEnrolment> {
    return enrolment.confirmEnrolment(this.deps, ctx, code);
  }

  resetFactor(userId: string): Promise<boolean> {
    return enrolment.resetFactor(this.deps, userId);
  }
}
