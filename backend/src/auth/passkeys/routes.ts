import { parse, serialize } from 'cookie';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { pathId } from '../../http/params.js';
import { signedIn, type RouteTable } from '../../http/route-table.js';
import type { ClientMeta } from '../auth-types.js';
import { deliverSignIn, readChallengeCookie, setChallengeCookie, setSessionCookie } from '../cookies.js';
import { CHALLENGE_SECONDS, type Passkeys } from './passkeys.js';

const b64url = z.string().max(16_384).regex(/^[A-Za-z0-9_-]*$/, 'must be base64url');
const responseCommon = { id: b64url.min(1).max(1024), rawId: b64url.min(1).max(1024), type: z.literal('public-key'), clientExtensionResults: z.record(z.string(), z.unknown()).default({}), authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional() };
const registerBody = z.object({
  name: z.string().trim().min(1, 'is required').max(100),
  response: z.object({
    ...responseCommon,
    response: z.object({ clientDataJSON: b64url, attestationObject: b64url, transports: z.array(z.string().max(20)).max(10).optional(), publicKeyAlgorithm: z.number().int().optional(), publicKey: b64url.optional(), authenticatorData: b64url.optional() }),
  }),
});
const signInBody = z.object({
  response: z.object({
    ...responseCommon,
    response: z.object({ clientDataJSON: b64url, authenticatorData: b64url, signature: b64url, userHandle: b64url.optional() }),
  }),
});

const cookieName = (req: Request) => `${req.secure ? '__Host-' : ''}kontor_webauthn`;
function setState(req: Request, res: Response, value: string | undefined): void {
  res.append('Set-Cookie', serialize(cookieName(req), value ?? '', { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: value ? CHALLENGE_SECONDS : 0 }));
}
const readState = (req: Request) => parse(req.headers.cookie ?? '')[cookieName(req)];
const meta = (req: Request): ClientMeta => ({ ip: req.ip, userAgent: req.get('user-agent'), requestId: req.requestId });

export function passkeyRoutes(routes: RouteTable, passkeys: Passkeys): void {
  const own = { allowPendingPasswordChange: false, allowPendingMfaEnrolment: true };
  routes.guarded('get', '/auth/passkeys', own, async (ctx) => ({ body: await passkeys.list(ctx) }));
  routes.guarded('post', '/auth/passkeys/options', own, async (ctx, req, res) => {
    const { options, state } = await passkeys.registrationOptions(ctx);
    setState(req, res, state);
    return { body: options };
  });
  routes.guarded('post', '/auth/passkeys', own, async (ctx, req, res) => {
    const body = registerBody.parse(req.body);
    const state = readState(req);
    setState(req, res, undefined);
    return { status: 201, body: await passkeys.register(ctx, body.name, body.response, state) };
  });
  routes.guarded('delete', '/auth/passkeys/:id', signedIn, async (ctx, req) => {
    await passkeys.remove(ctx, pathId(req));
  });

  // Under /auth/login: the sign-in throttle applies.
  routes.public('post', '/auth/login/passkey/options', async (req, res) => {
    const { options, state } = await passkeys.signInOptions();
    setState(req, res, state);
    return { body: options };
  });
  routes.public('post', '/auth/login/passkey', async (req, res) => {
    const body = signInBody.parse(req.body);
    const state = readState(req);
    setState(req, res, undefined);
    return { body: deliverSignIn(req, res, await passkeys.signIn(body.response, state, meta(req))).body };
  });

  // The passkey as the second step after the password or the directory (the challenge cookie names the user).
  routes.public('post', '/auth/login/second-factor/passkey/options', async (req, res) => {
    const { options, state } = await passkeys.secondStepOptions(readChallengeCookie(req));
    setState(req, res, state);
    return { body: options };
  });
  routes.public('post', '/auth/login/second-factor/passkey', async (req, res) => {
    const body = signInBody.parse(req.body);
    const state = readState(req);
    setState(req, res, undefined);
    const { token, result } = await passkeys.secondStep(readChallengeCookie(req), body.response, state, meta(req));
    setChallengeCookie(req, res, undefined);
    setSessionCookie(req, res, token);
    return { body: result };
  });
}
