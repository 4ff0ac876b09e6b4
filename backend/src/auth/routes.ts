import type { Request } from 'express';
import type { Knex } from 'knex';
import { pathId } from '../http/params.js';
import { signedIn, type RouteTable } from '../http/route-table.js';
import type { AuthService, ClientMeta } from './auth-service.js';
import { clearSessionCookie, deliverSignIn, readChallengeCookie, readSessionCookie, setChallengeCookie, setSessionCookie } from './cookies.js';
import * as schemas from './schemas.js';
import { switchTenantBody } from '../tenancy/schemas.js';
import { throttle, type ThrottleOptions } from './throttle.js';

export interface AuthRouteOptions {
  loginThrottle: ThrottleOptions;
  recoveryThrottle: ThrottleOptions;
  /** Where the shared throttles count (rate_limits) and the key that hides the addresses. */
  db: Knex;
  hmacKey: string;
}

function meta(req: Request): ClientMeta {
  return { ip: req.ip, userAgent: req.get('user-agent'), requestId: req.requestId };
}

export function authRoutes(routes: RouteTable, auth: AuthService, options: AuthRouteOptions): void {
  const loginLimit = throttle('login', options.loginThrottle, options);
  const recoveryLimit = throttle('recovery', options.recoveryThrottle, options);
  routes.router.use('/auth/login', loginLimit);
  routes.router.use('/auth/recovery', recoveryLimit);
  // Guessing the current password from a session is throttled like sign-in (its own window).
  routes.router.use('/auth/password', throttle('password', options.loginThrottle, options));

  routes.public('post', '/auth/login', async (req, res) => {
    const body = schemas.loginBody.parse(req.body);
    return { body: deliverSignIn(req, res, await auth.login(body.email, body.password, meta(req))).body };
  });

  routes.public('post', '/auth/login/second-factor', async (req, res) => {
    const body = schemas.secondFactorBody.parse(req.body);
    const { token, result } = await auth.completeSecondFactor(readChallengeCookie(req), body, meta(req));
    setChallengeCookie(req, res, undefined);
    setSessionCookie(req, res, token);
    return { body: result };
  });

  // Enrolment is reachable while it is still required, like the password change.
  const enrolling = { allowPendingPasswordChange: true, allowPendingMfaEnrolment: true };
  routes.guarded('get', '/auth/totp', enrolling, async (ctx) => ({ body: await auth.factorStatus(ctx) }));
  routes.guarded('post', '/auth/totp/enrol', enrolling, async (ctx) => ({ body: await auth.startEnrolment(ctx) }));
  routes.guarded('post', '/auth/totp/confirm', enrolling, async (ctx, req) => ({
    body: await auth.confirmEnrolment(ctx, schemas.totpConfirmBody.parse(req.body).code),
  }));

  routes.public('post', '/auth/logout', async (req, res) => {
    await auth.logout(readSessionCookie(req));
    clearSessionCookie(req, res);
  });

  routes.guarded('get', '/auth/session', { allowPendingPasswordChange: true, allowPendingMfaEnrolment: true }, async (ctx) => ({ body: await auth.sessionInfo(ctx) }));

  routes.guarded('get', '/auth/profile', signedIn, async (ctx) => ({ body: await auth.profile(ctx) }));
  routes.guarded('patch', '/auth/profile', signedIn, async (ctx, req) => ({ body: await auth.updateProfile(ctx, schemas.profileBody.parse(req.body)) }));

  routes.guarded('post', '/auth/refresh', { acceptExpiredToken: true, allowPendingMfaEnrolment: true }, async (ctx, req, res) => {
    const { token, info } = await auth.refresh(ctx, meta(req));
    setSessionCookie(req, res, token);
    return { body: info };
  });

  routes.guarded('post', '/auth/password', { allowPendingPasswordChange: true, allowPendingMfaEnrolment: true }, async (ctx, req) => {
    const body = schemas.passwordChangeBody.parse(req.body);
    await auth.changePassword(ctx, body.currentPassword, body.newPassword);
  });

  routes.public('post', '/auth/recovery', async (req) => {
    const body = schemas.recoveryBody.parse(req.body);
    await auth.requestRecovery(body.email, meta(req));
    return { status: 202, body: { status: 'accepted' } };
  });

  routes.public('post', '/auth/recovery/confirm', async (req) => {
    const body = schemas.recoveryConfirmBody.parse(req.body);
    await auth.confirmRecovery(body.email, body.code, body.newPassword, meta(req));
  });

  // The token travels in the body, not the path: paths are logged.
  routes.public('post', '/auth/invitation/check', async (req) => ({ body: await auth.checkInvitation(schemas.invitationCheckBody.parse(req.body).token) }));

  routes.public('post', '/auth/invitation', async (req) => {
    const body = schemas.invitationBody.parse(req.body);
    await auth.acceptInvitation(body.token, body.newPassword, meta(req));
  });

  routes.guarded('post', '/auth/switch-tenant', signedIn, async (ctx, req, res) => {
    const { tenantId } = switchTenantBody.parse(req.body);
    const { token, info } = await auth.switchTenant(ctx, tenantId, meta(req));
    setSessionCookie(req, res, token);
    return { body: info };
  });

  routes.guarded('get', '/auth/sessions', signedIn, async (ctx) => ({ body: await auth.listSessions(ctx) }));

  routes.guarded('delete', '/auth/sessions/:id', signedIn, async (ctx, req) => {
    await auth.endOwnSession(ctx, pathId(req));
  });
}
