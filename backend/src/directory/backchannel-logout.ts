import { errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { MAX_SID } from './oidc.js';

/**
 * OpenID Connect Back-Channel Logout 1.0, §2.6: the checks of a logout token the bank's provider
 * posts. The signature is verified with jose (openid-client's own JOSE library) against the
 * provider's published keys; everything else is a claim rule of the spec. Throws
 * `LogoutTokenRefusal` with the failed rule's name.
 */

export const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Asymmetric only: `none` and HS* (a key the relying party shares) are never accepted. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** A logout token is delivered when the user signs out; one issued longer ago is refused, `exp` or not. */
export const LOGOUT_TOKEN_MAX_AGE_SECONDS = 10 * 60;
/** How far the provider's clock may be ahead or behind. */
export const LOGOUT_CLOCK_SKEW_SECONDS = 60;

export type LogoutRefusalReason =
  | 'malformed' | 'alg' | 'signature' | 'keys_unavailable' | 'iss' | 'aud' | 'iat' | 'expired'
  | 'events' | 'sub_or_sid' | 'nonce' | 'jti';

export class LogoutTokenRefusal extends Error {
  constructor(readonly reason: LogoutRefusalReason) {
    super(reason);
  }
}

export interface VerifiedLogout {
  sub: string | undefined;
  sid: string | undefined;
  jti: string;
  /** Until when the token would still pass these checks: its `jti` must be remembered that long. */
  rememberUntil: Date;
}

function refusalOf(err: unknown): LogoutTokenRefusal {
  if (err instanceof LogoutTokenRefusal) return err;
  if (err instanceof errors.JWTExpired) return new LogoutTokenRefusal('expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new LogoutTokenRefusal('iss');
    if (err.claim === 'aud') return new LogoutTokenRefusal('aud');
    return new LogoutTokenRefusal('iat');
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new LogoutTokenRefusal('alg');
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new LogoutTokenRefusal('signature');
  }
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || (err instanceof Error && !(err instanceof errors.JOSEError))) {
    return new LogoutTokenRefusal('keys_unavailable');
  }
  return new LogoutTokenRefusal('malformed');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const boundedString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_SID;

export async function verifyLogoutToken(token: string, keys: JWTVerifyGetKey, expected: { issuer: string; clientId: string }, now: Date): Promise<VerifiedLogout> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      algorithms: ALGORITHMS, issuer: expected.issuer, audience: expected.clientId, currentDate: now,
      clockTolerance: LOGOUT_CLOCK_SKEW_SECONDS, maxTokenAge: LOGOUT_TOKEN_MAX_AGE_SECONDS,
    }));
  } catch (err) {
    throw refusalOf(err);
  }
  // Only a logout token carries this event: an ID token or any other JWT of the provider is no logout.
  if (!isObject(payload.events) || !isObject(payload.events[LOGOUT_EVENT])) throw new LogoutTokenRefusal('events');
  if (payload.nonce !== undefined) throw new LogoutTokenRefusal('nonce');
  const sub = payload.sub === undefined ? undefined : payload.sub;
  const sid = payload.sid === undefined ? undefined : payload.sid;
  if ((sub === undefined && sid === undefined) || (sub !== undefined && !boundedString(sub)) || (sid !== undefined && !boundedString(sid))) {
    throw new LogoutTokenRefusal('sub_or_sid');
  }
  if (!boundedString(payload.jti)) throw new LogoutTokenRefusal('jti');
  const untilSeconds = Math.min(payload.exp ?? Infinity, payload.iat! + LOGOUT_TOKEN_MAX_AGE_SECONDS) + LOGOUT_CLOCK_SKEW_SECONDS;
  return { sub, sid, jti: payload.jti, rememberUntil: new Date(untilSeconds * 1000) };
}
