import { parse, serialize } from 'cookie';
import type { Request, Response } from 'express';

/**
 * The session cookie and the second-factor challenge cookie: HttpOnly, SameSite=Strict, Path=/;
 * behind TLS `Secure` with the `__Host-` prefix (no Domain). The challenge lives 5 minutes.
 */
type Kind = 'session' | 'challenge';

function cookieName(req: Request, kind: Kind): string {
  return `${req.secure ? '__Host-' : ''}kontor_${kind}`;
}

function read(req: Request, kind: Kind): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  return parse(header)[cookieName(req, kind)] ?? undefined;
}

function write(req: Request, res: Response, kind: Kind, value: string, maxAge?: number): void {
  res.append('Set-Cookie', serialize(cookieName(req, kind), value, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', ...(maxAge === undefined ? {} : { maxAge }) }));
}

export const readSessionCookie = (req: Request) => read(req, 'session');
export const setSessionCookie = (req: Request, res: Response, token: string) => write(req, res, 'session', token);
export const clearSessionCookie = (req: Request, res: Response) => write(req, res, 'session', '', 0);

export const readChallengeCookie = (req: Request) => read(req, 'challenge');
export function setChallengeCookie(req: Request, res: Response, token: string | undefined): void {
  write(req, res, 'challenge', token ?? '', token ? 300 : 0);
}

/**
 * The answer to a first factor that passed (password, directory, passkey): the session cookie and
 * the sign-in result, or, with a second factor outstanding, only the challenge cookie.
 */
export function deliverSignIn<R>(req: Request, res: Response, outcome: { token: string; result: R } | { challenge: string }):
  { signedIn: true; body: R } | { signedIn: false; body: { secondFactorRequired: true } } {
  if ('challenge' in outcome) {
    // No session yet: only a short-lived challenge for the second step.
    setChallengeCookie(req, res, outcome.challenge);
    return { signedIn: false, body: { secondFactorRequired: true } };
  }
  setSessionCookie(req, res, outcome.token);
  return { signedIn: true, body: outcome.result };
}
