import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';

/**
 * Directory secrets (OIDC client secret, LDAP search password) at rest: AES-256-GCM with a key
 * derived from the TOTP key (secrets.json), as the TOTP seeds are stored. Also signs the short-lived
 * state of a directory sign-in (OIDC state/nonce/PKCE verifier, passkey challenges) kept in a cookie.
 */
export class SecretBox {
  private readonly key: Buffer;
  private readonly stateKey: Buffer;

  constructor(d: { totpKey: string; sessionSecret: string }) {
    this.key = createHash('sha256').update(`directory:${d.totpKey}`).digest();
    this.stateKey = createHmac('sha256', d.sessionSecret).update('directory-state').digest();
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64')).join('.');
  }

  decrypt(stored: string): string {
    const [iv, tag, data] = stored.split('.').map((p) => Buffer.from(p, 'base64'));
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv!);
    decipher.setAuthTag(tag!);
    return Buffer.concat([decipher.update(data!), decipher.final()]).toString('utf8');
  }

  /** A signed, expiring state for one purpose (`audience`): a state of one purpose never passes as another. */
  signState(audience: string, claims: Record<string, string>, ttlSeconds: number, now: Date): string {
    const iat = Math.floor(now.getTime() / 1000);
    return jwt.sign({ ...claims, iat, exp: iat + ttlSeconds }, this.stateKey, { algorithm: 'HS256', audience });
  }

  verifyState<T extends Record<string, string>>(audience: string, token: string | undefined, now: Date): T | undefined {
    if (!token) return undefined;
    try {
      return jwt.verify(token, this.stateKey, { algorithms: ['HS256'], audience, clockTimestamp: Math.floor(now.getTime() / 1000) }) as T;
    } catch {
      return undefined;
    }
  }
}
