import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';

/**
 * OpenID Connect, Authorization Code flow with PKCE (openid-client). The callback checks state,
 * nonce, issuer, audience, expiry and signature (openid-client refuses any mismatch); the result is
 * only the claims Kontor needs. Discovery documents are cached per issuer and client for 10 minutes.
 */
export interface OidcClientConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export interface OidcPending {
  state: string;
  nonce: string;
  verifier: string;
}

export interface OidcIdentity {
  subject: string;
  email: string | undefined;
  name: string | undefined;
  groups: string[];
  /** The provider's session id (ID token `sid`), when it sends one: what a back-channel logout names. */
  sid: string | undefined;
}

const CACHE_MS = 10 * 60_000;
/**
 * After a failed discovery or key-set fetch, how long Kontor answers from that failure instead of
 * asking the provider again: the back-channel logout endpoint is public, and without this every
 * forged token would make Kontor send the bank's provider a request (one for one).
 */
const FAILURE_COOLDOWN_MS = 30_000;
/** Longest provider session id (`sid`) or logout token id (`jti`) Kontor keeps (the columns' bound). */
export const MAX_SID = 255;

/** The provider did not answer (discovery failed, or a request got no response): not a refused answer. */
export class ProviderUnreachable extends Error {
  constructor(cause: unknown) {
    super('provider unreachable', { cause });
    this.name = 'ProviderUnreachable';
  }
}

/** Node's fetch gives up on a connection as TypeError "fetch failed"; a timeout aborts it. */
function noAnswer(err: unknown): boolean {
  const e = err as { name?: unknown; message?: unknown } | null;
  return e?.name === 'TimeoutError' || e?.name === 'AbortError' || (err instanceof TypeError && e?.message === 'fetch failed');
}

export class OidcFlows {
  private readonly cache = new Map<string, { at: number; config: Promise<client.Configuration> }>();
  /** jose's remote key sets, per JWKS URL: keys cached, an unknown `kid` refetched at most every 30 s. */
  private readonly keySets = new Map<string, JWTVerifyGetKey>();

  /** `allowHttp`: plain-HTTP issuers, for the test suite's local provider only. */
  constructor(private readonly options: { allowHttp: boolean; timeoutSeconds?: number }) {}

  private configuration(c: OidcClientConfig): Promise<client.Configuration> {
    const key = JSON.stringify([c.issuer, c.clientId, c.clientSecret]);
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.config;
    const config = client.discovery(new URL(c.issuer), c.clientId, c.clientSecret, undefined, {
      // The ID token's signature is verified too (openid-client skips it for token-endpoint answers by default).
      execute: [client.enableNonRepudiationChecks, ...(this.options.allowHttp ? [client.allowInsecureRequests] : [])],
      timeout: this.options.timeoutSeconds ?? 10,
    });
    // A failure stays cached for FAILURE_COOLDOWN_MS, then the next use asks again.
    config.catch(() => {
      const entry = this.cache.get(key);
      if (entry?.config === config) entry.at = Date.now() - CACHE_MS + FAILURE_COOLDOWN_MS;
    });
    this.cache.set(key, { at: Date.now(), config });
    if (this.cache.size > 1000) this.cache.delete(this.cache.keys().next().value!);
    return config;
  }

  /** For back-channel logout: the issuer as discovered (and checked by openid-client) and its signing keys. */
  async logoutKeys(c: OidcClientConfig): Promise<{ issuer: string; keys: JWTVerifyGetKey }> {
    const metadata = (await this.configuration(c)).serverMetadata();
    if (!metadata.jwks_uri || (!this.options.allowHttp && !metadata.jwks_uri.startsWith('https://'))) throw new Error('no https jwks_uri');
    const uri = metadata.jwks_uri;
    let keys = this.keySets.get(uri);
    if (!keys) {
      const remote = createRemoteJWKSet(new URL(uri), { timeoutDuration: (this.options.timeoutSeconds ?? 10) * 1000, cooldownDuration: 30_000, cacheMaxAge: CACHE_MS });
      // jose's cooldown holds only after a successful fetch; a failing key set is not asked again for a while either.
      let failedAt = -Infinity;
      keys = async (header, token) => {
        if (Date.now() - failedAt < FAILURE_COOLDOWN_MS) throw new Error('jwks unavailable');
        try {
          return await remote(header, token);
        } catch (err) {
          if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
          failedAt = Date.now();
          throw new Error('jwks unavailable');
        }
      };
      if (this.keySets.size >= 1000) this.keySets.delete(this.keySets.keys().next().value!);
      this.keySets.set(uri, keys);
    }
    return { issuer: metadata.issuer, keys };
  }

  async start(c: OidcClientConfig, redirectUri: string): Promise<{ url: string; pending: OidcPending }> {
    const config = await this.configuration(c);
    const verifier = client.randomPKCECodeVerifier();
    const pending = { state: client.randomState(), nonce: client.randomNonce(), verifier };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: 'openid email profile', response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      state: pending.state, nonce: pending.nonce,
    });
    return { url: url.href, pending };
  }

  /** Throws when the provider's answer fails any check; the caller records the refusal. */
  async finish(c: OidcClientConfig, callbackUrl: URL, pending: OidcPending, claims: { email: string; groups: string | null }): Promise<OidcIdentity> {
    const config = await this.configuration(c).catch((err: unknown) => {
      throw new ProviderUnreachable(err);
    });
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
    }).catch((err: unknown) => {
      throw noAnswer(err) ? new ProviderUnreachable(err) : err;
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error('no ID token');
    // Claims the ID token lacks are read from the userinfo endpoint, bound to the same subject.
    let all: Record<string, unknown> = { ...idClaims };
    if (all[claims.email] === undefined || (claims.groups && all[claims.groups] === undefined)) {
      all = { ...(await client.fetchUserInfo(config, tokens.access_token, idClaims.sub)), ...all };
    }
    const email = all[claims.email];
    const groups = claims.groups ? all[claims.groups] : undefined;
    const verified = all.email_verified;
    return {
      subject: idClaims.sub,
      // An email the provider says is unverified is not used to match an account.
      email: typeof email === 'string' && verified !== false ? email : undefined,
      name: typeof all.name === 'string' ? all.name.slice(0, 200) : undefined,
      groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string').slice(0, 200) : typeof groups === 'string' ? [groups] : [],
      sid: typeof idClaims.sid === 'string' && idClaims.sid.length <= MAX_SID ? idClaims.sid : undefined,
    };
  }
}
