import { parse, serialize } from 'cookie';
import express, { type Request, type Response } from 'express';
import type { Knex } from 'knex';
import type { ClientMeta } from '../auth/auth-service.js';
import { deliverSignIn } from '../auth/cookies.js';
import { HttpError } from '../http/errors.js';
import { fail } from '../http/error-catalogue.js';
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
  // The sign-in page's button is a link: a refusal (no such directory, provider unreachable) ends on the
  // sign-in page with its reason, as the callback's do, never on a JSON body in the browser.
  routes.public('get', '/auth/oidc/start', async (req, res) => {
    const { tenant } = schemas.oidcStartQuery.parse(req.query);
    try {
      const { url, state } = await directory.startOidc(tenant);
      setStateCookie(req, res, state);
      res.redirect(303, url);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      res.redirect(303, `/login?directoryError=${encodeURIComponent(err.code)}`);
    }
  });

  // The provider sends the browser back here; every outcome ends on the sign-in page or the app.
  routes.public('get', '/auth/oidc/callback', async (req, res) => {
    schemas.oidcCallbackQuery.parse(req.query);
    const stateCookie = parse(req.headers.cookie ?? '')[stateCookieName(req)];
    setStateCookie(req, res, undefined);
    const callbackUrl = new URL(req.originalUrl, directory.redirectUri);
    try {
      const done = deliverSignIn(req, res, await directory.finishOidc(callbackUrl, stateCookie, meta(req)));
      res.redirect(303, done.signedIn ? '/' : '/login?step=second-factor');
    } catch (err) {
      const code = err instanceof DirectoryRefusal ? err.code : err instanceof HttpError ? err.code : undefined;
      if (!code) throw err;
      res.redirect(303, `/login?directoryError=${encodeURIComponent(code)}`);
    }
  });

  // OpenID Connect Back-Channel Logout: the bank's provider (server to server, no cookies) posts a
  // signed logout token; the user's sessions opened through it end. Every refusal is 400 and changes nothing.
  const form = express.urlencoded({ extended: false, limit: schemas.BACKCHANNEL_LOGOUT_BODY_LIMIT, parameterLimit: 10 });
  routes.public('post', '/auth/oidc/backchannel-logout/:tenant', async (req, res) => {
    if (!req.is('application/x-www-form-urlencoded')) throw fail('unsupported_media_type', { reason: 'form_expected' });
    await new Promise<void>((resolve, reject) => form(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
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
