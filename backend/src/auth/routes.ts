import type { Request } from 'express';
import type { Clock } from '../clock.js';
import { NotFound } from '../http/errors.js';
import { signedIn, type RouteTable } from '../http/route-table.js';
import type { AuthService, ClientMeta } from './auth-service.js';
import { clearSessionCookie, readSessionCookie, setSessionCookie } from './cookies.js';
import * as schemas from './schemas.js';
import { switchTenantBody } from '../tenancy/schemas.js';
import { throttle, type ThrottleOptions } from './throttle.js';

export interface AuthRouteOptions {
  loginThrottle: ThrottleOptions;
  recoveryThrottle: ThrottleOptions;
  clock: Clock;
}

function meta(req: Request): ClientMeta {
  return { ip: req.ip, userAgent: req.get('user-agent'), requestId: req.requestId };
}

export function authRoutes(routes: RouteTable, auth: AuthService, options: AuthRouteOptions): void {
  const loginLimit = throttle('login', options.loginThrottle, options.clock);
  const recoveryLimit = throttle('recovery', options.recoveryThrottle, options.clock);
  routes.router.use('/auth/login', loginLimit);
  routes.router.use('/auth/recovery', recoveryLimit);

  routes.public('post', '/auth/login', async (req, res) => {
    const body = schemas.loginBody.parse(req.body);
    const { token, result } = await auth.login(body.email, body.password, meta(req));
    setSessionCookie(req, res, token);
    return { body: result };
  });

  routes.public('post', '/auth/logout', async (req, res) => {
    await auth.logout(readSessionCookie(req));
    clearSessionCookie(req, res);
  });

  routes.guarded('get', '/auth/session', { allowPendingPasswordChange: true }, async (ctx) => ({ body: await auth.sessionInfo(ctx) }));

  routes.guarded('post', '/auth/refresh', { acceptExpiredToken: true }, async (ctx, req, res) => {
    const { token, info } = await auth.refresh(ctx, meta(req));
    setSessionCookie(req, res, token);
    return { body: info };
  });

  routes.guarded('post', '/auth/password', { allowPendingPasswordChange: true }, async (ctx, req) => {
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
    const parsed = schemas.sessionIdParam.safeParse(req.params);
    if (!parsed.success) throw new NotFound('There is no such session.');
    await auth.endOwnSession(ctx, parsed.data.id);
  });
}
