import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Clock } from '../clock.js';

export const TOKEN_TTL_SECONDS = 15 * 60;
const ISSUER = 'kontor';
const AUDIENCE = 'kontor-api';
/** A password-accepted, second-factor-pending sign-in: a different audience, so it never passes as a session. */
const CHALLENGE_AUDIENCE = 'kontor-second-factor';
export const CHALLENGE_TTL_SECONDS = 5 * 60;

export interface TokenClaims {
  sid: string;
  sub: string;
  tid: string;
}

/** Short-lived HS256 JWT. The algorithm is pinned on verification, so `alg: none` and key confusion fail. */
export class SessionTokens {
  /** Built once: jsonwebtoken would otherwise derive a key object on every verification. */
  private readonly key: KeyObject;

  constructor(
    secret: string,
    private readonly clock: Clock,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  sign(claims: TokenClaims): string {
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    return jwt.sign({ ...claims, iat, exp: iat + TOKEN_TTL_SECONDS }, this.key, {
      algorithm: 'HS256',
      issuer: ISSUER,
      audience: AUDIENCE,
    });
  }

  /**
   * `seq`: the user's sign-in counter now; the sign-in that completes the challenge advances it (single use).
   * `dsid`: the OpenID Provider session a directory sign-in came from, carried onto the session it opens.
   */
  signChallenge(userId: string, tenantId: string, seq: number, directorySid?: string): string {
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    return jwt.sign({ sub: userId, tid: tenantId, seq, ...(directorySid ? { dsid: directorySid } : {}), iat, exp: iat + CHALLENGE_TTL_SECONDS }, this.key, { algorithm: 'HS256', issuer: ISSUER, audience: CHALLENGE_AUDIENCE });
  }

  verifyChallenge(token: string): { sub: string; tid: string; seq: number; dsid?: string } | undefined {
    try {
      const payload = jwt.verify(token, this.key, {
        algorithms: ['HS256'], issuer: ISSUER, audience: CHALLENGE_AUDIENCE, clockTimestamp: Math.floor(this.clock.now().getTime() / 1000),
      });
      if (!hasTimes(payload)) return undefined;
      const { sub, tid, seq, dsid } = payload as Record<string, unknown>;
      if (!isUuid(sub) || !isUuid(tid) || !Number.isSafeInteger(seq)) return undefined;
      return typeof dsid === 'string' ? { sub, tid, seq: seq as number, dsid } : { sub, tid, seq: seq as number };
    } catch {
      return undefined;
    }
  }

  /**
   * The claims, or undefined for anything not issued by us, expired, or malformed.
   * `expiredGraceSeconds` is for renewal only: the session row's idle limit still decides.
   */
  verify(token: string, expiredGraceSeconds = 0): TokenClaims | undefined {
    try {
      const payload = jwt.verify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        clockTimestamp: Math.floor(this.clock.now().getTime() / 1000),
        clockTolerance: expiredGraceSeconds,
      });
      if (!hasTimes(payload)) return undefined;
      const { sid, sub, tid } = payload as Record<string, unknown>;
      if (!isUuid(sid) || !isUuid(sub) || !isUuid(tid)) return undefined;
      return { sid, sub, tid };
    } catch {
      return undefined;
    }
  }
}

/**
 * Every claim is required: jsonwebtoken checks `iss` and `aud` when asked, but accepts a token
 * without `exp` (it would never expire) or `iat`.
 */
function hasTimes(payload: string | jwt.JwtPayload): boolean {
  return typeof payload === 'object' && Number.isSafeInteger(payload.exp) && Number.isSafeInteger(payload.iat);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
