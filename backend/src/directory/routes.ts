import { parse, serialize } from 'cookie';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import type { ClientMeta } from '../auth/auth-service.js';
import { deliverSignIn } from '../auth/cookies.js';
import { fail } from '../http/error-catalogue.js';
import { knownError } from '../http/error-handler.js';
import type { Logger } from '../log/logger.js';
import { requires, type RouteTable } from '../http/route-table.js';
import { DirectoryRefusal, OIDC_STATE_SECONDS, type DirectoryService } from './directory-service.js';
import * as schemas from './schemas.js';
import type { Clock } from '../clock.js';
import { throttle, type ThrottleOptions } from '../auth/throttle.js';

function meta(req: Request): ClientMeta {
  return { ip: req.ip, userAgent: req.get('user-agent'), requestId: req.requestId };
}

/**
 * The OIDC state cookie: HttpOnly, `__Host-` behind TLS, and SameSite=Lax — the provider's redirect
 * back is a cross-site top-level navigation, which a Strict cookie would not accompany.
 */
const stateCookieName = (req: Request) => `${req.secure ? '__Host-' : ''}kontor_oidc`;
function setStateCookie(req: Request, res: Response, value: string | undefined): void {
  res.append('Set-Cookie', serialize(stateCookieName(req), value ?? '', { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/', maxAge: value ? OIDC_STATE_SECONDS : 0 }));
}

export function directoryRoutes(routes: RouteTable, directory: DirectoryService, options: { loginThrottle: ThrottleOptions; clock: Clock; db: Knex; hmacKey: string }): void {
  // Each provider round trip costs a discovery and a token request: throttled like sign-in.
  const oidcThrottle = throttle('oidc', options.loginThrottle, options);
  routes.router.use('/auth/oidc', (req, res, next) => (req.path.startsWith('/backchannel-logout/') ? next() : oidcThrottle(req, res, next)));
  // The bank's provider posts one logout token per signed-out session, all from its own address: a wider budget of its own.
  routes.router.use('/auth/oidc/backchannel-logout', throttle('oidc-logout', { limit: options.loginThrottle.limit * 20, windowSeconds: 60 }, options));
  routes.router.use('/auth/directory', throttle('directory', options.loginThrottle, options));
  // Sign-in page: which bank's directory serves this email's domain.
  routes.public('get', '/auth/directory', async (req) => {
    const { email } = schemas.directoryLookupQuery.parse(req.query);
    return { body: { directory: await directory.lookup(email) } };
  });

  // The browser is sent to the bank's provider; the state, nonce and PKCE verifier wait in a signed cookie.
  // Every refusal here and in the callback ends on the sign-in page (oidcNavigationRefusals).
  routes.public('get', '/auth/oidc/start', async (req, res) => {
    const { tenant } = schemas.oidcStartQuery.parse(req.query);
    const { url, state } = await directory.startOidc(tenant);
    setStateCookie(req, res, state);
    res.redirect(303, url);
  });

  // The provider sends the browser back here; every outcome ends on the sign-in page or the app.
  routes.public('get', '/auth/oidc/callback', async (req, res) => {
    const stateCookie = parse(req.headers.cookie ?? '')[stateCookieName(req)];
    setStateCookie(req, res, undefined);
    schemas.oidcCallbackQuery.parse(req.query);
    const callbackUrl = new URL(req.originalUrl, directory.redirectUri);
    const done = deliverSignIn(req, res, await directory.finishOidc(callbackUrl, stateCookie, meta(req)));
    res.redirect(303, done.signedIn ? '/' : '/login?step=second-factor');
  });

  // OpenID Connect Back-Channel Logout: the bank's provider (server to server, no cookies) posts a
  // signed logout token; the user's sessions opened through it end. Every refusal is 400 and changes nothing.
  const form = express.urlencoded({ extended: false, limit: schemas.BACKCHANNEL_LOGOUT_BODY_LIMIT, parameterLimit: 10 });
  routes.public('post', '/auth/oidc/backchannel-logout/:tenant', async (req, res) => {
    if (!req.is('application/x-www-form-urlencoded')) throw fail('unsupported_media_type', { reason: 'form_expected' });
    await new Promise<void>((resolve, reject) => form(req, res, (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error('body parser failed')) : resolve())));
    const token = (req.body as Record<string, unknown> | undefined)?.logout_token;
    if (typeof token !== 'string' || !token) throw fail('logout_token_rejected', { reason: 'missing', field: 'logout_token' });
    const path = schemas.backchannelLogoutPath.safeParse(req.params);
    if (!path.success) throw fail('logout_token_rejected', { reason: 'directory' });
    await directory.backchannelLogout(path.data.tenant, token, meta(req));
    return { status: 200 };
  });

  // LDAP: the password goes to the bank's directory. Under /auth/login, so the sign-in throttle applies.
  routes.public('post', '/auth/login/directory', async (req, res) => {
    const body = schemas.ldapLoginBody.parse(req.body);
    return { body: deliverSignIn(req, res, await directory.ldapLogin(body.email, body.password, meta(req))).body };
  });

  // The bank admin's configuration.
  routes.guarded('get', '/directory', requires('settings', 'read'), async (ctx) => ({ body: { directory: await directory.view(ctx) } }));
  routes.guarded('put', '/directory', requires('settings', 'write'), async (ctx, req) => ({
    body: { directory: await directory.configure(ctx, schemas.directoryConfig.parse(req.body)) },
  }));
  routes.guarded('delete', '/directory', requires('settings', 'write'), async (ctx) => {
    await directory.remove(ctx);
  });
}

/** The two OIDC endpoints the browser navigates to (paths as mounted under /api). */
const NAVIGATIONS = new Set(['/auth/oidc/start', '/auth/oidc/callback']);

/** The sign-in page with a refusal's code (and reason), which it says in the user's language. */
export function loginPageFor(code: string, reason?: string): string {
  const query = new URLSearchParams({ directoryError: code });
  if (reason) query.set('directoryReason', reason);
  return `/login?${query.toString()}`;
}

/**
 * The sign-in page's "Mit <Bank>-Konto anmelden" is a link and the provider's answer a redirect:
 * top-level navigations, where a JSON error body would be all the user sees. Whatever refuses
 * them — the shared throttle, a malformed query, no such directory, an unreachable provider, a
 * refused answer or user, even a bug (logged as one) — ends on the sign-in page instead.
 * Mounted on the API router after the routes, so errors of the middleware before them come here too.
 */
export function oidcNavigationRefusals(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (req.method !== 'GET' || !NAVIGATIONS.has(req.path) || res.headersSent) {
      next(err);
      return;
    }
    // The callback ends its flow whatever happens (the route clears the cookie itself once it runs).
    const cleared = ([] as unknown[]).concat(res.getHeader('Set-Cookie') ?? []).some((c) => String(c).startsWith(`${stateCookieName(req)}=`));
    if (req.path === '/auth/oidc/callback' && !cleared) setStateCookie(req, res, undefined);
    const known = err instanceof DirectoryRefusal ? { code: err.code, reason: undefined } : knownError(err, logger, req.requestId);
    res.redirect(303, loginPageFor(known?.code ?? 'internal_error', known?.reason));
  };
}
