import { parse, serialize } from 'cookie';
import type { Request, Response } from 'express';

/** Behind TLS the cookie gets `Secure` and the `__Host-` prefix (no Domain, Path=/). */
function cookieName(req: Request): string {
  return req.secure ? '__Host-kontor_session' : 'kontor_session';
}

export function readSessionCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  return parse(header)[cookieName(req)] ?? undefined;
}

export function setSessionCookie(req: Request, res: Response, token: string): void {
  res.append('Set-Cookie', serialize(cookieName(req), token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' }));
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.append('Set-Cookie', serialize(cookieName(req), '', { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: 0 }));
}

/** The second-factor challenge travels like the session: HttpOnly, SameSite=Strict, 5 minutes. */
function challengeName(req: Request): string {
  return req.secure ? '__Host-kontor_challenge' : 'kontor_challenge';
}

export function readChallengeCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  return parse(header)[challengeName(req)] ?? undefined;
}

export function setChallengeCookie(req: Request, res: Response, token: string | undefined): void {
  res.append('Set-Cookie', serialize(challengeName(req), token ?? '', { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: token ? 300 : 0 }));
}
