import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { seal, unseal } from '../crypto/sealed-text.js';

const ISSUER = 'Kontor';
const PERIOD_SECONDS = 30;
/** One step either side: a phone clock 30 s off still works; each code is accepted once (last step). */
const WINDOW = 1;
const RECOVERY_CODES = 10;
/** Base32 without look-alikes; 24 characters ≈ 115 bits, above ASVS 6.5.2's 112, so a keyed hash suffices. */
const RECOVERY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30 s, as every authenticator app reads it), the seed encrypted
 * at rest, and single-use recovery codes stored as keyed hashes. Pure: no database.
 */
export class SecondFactor {
  private readonly key: Buffer;

  constructor(private readonly d: { totpKey: string; hmacKey: string }) {
    this.key = createHash('sha256').update(`totp:${d.totpKey}`).digest();
  }

  newSecret(): string {
    return new Secret({ size: 20 }).base32;
  }

  private totp(secretBase32: string, label = 'Kontor'): TOTP {
    return new TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS, secret: Secret.fromBase32(secretBase32) });
  }

  /** The otpauth:// URI an authenticator app scans. */
  uri(secretBase32: string, email: string): string {
    return this.totp(secretBase32, email).toString();
  }

  /** The URI as an SVG QR code in a data: URL (the CSP allows data: images). */
  async qrDataUrl(uri: string): Promise<string> {
    const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  }

  /** The time step a valid code belongs to, if it is newer than `lastStep` (so no code works twice). */
  acceptedStep(secretBase32: string, code: string, now: Date, lastStep: number | null): number | undefined {
    if (!/^\d{6}$/.test(code)) return undefined;
    const delta = this.totp(secretBase32).validate({ token: code, timestamp: now.getTime(), window: WINDOW });
    if (delta === null) return undefined;
    const step = Math.floor(now.getTime() / 1000 / PERIOD_SECONDS) + delta;
    return lastStep !== null && step <= lastStep ? undefined : step;
  }

  /** The current code (tests and the enrolment screen's self-check only). */
  codeAt(secretBase32: string, at: Date): string {
    return this.totp(secretBase32).generate({ timestamp: at.getTime() });
  }

  encrypt(secretBase32: string): string {
    return seal(this.key, secretBase32);
  }

  decrypt(stored: string): string {
    return unseal(this.key, stored);
  }

  newRecoveryCodes(): string[] {
    return Array.from({ length: RECOVERY_CODES }, () => {
      const bytes = randomBytes(24);
      const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
      return chars.match(/.{6}/g)!.join('-');
    });
  }

  /** Codes are compared without dashes, spaces or case, as people type them. */
  recoveryHash(userId: string, code: string): string {
    const normal = code.toUpperCase().replace(/[^A-Z0-9]/g, '');
    return createHmac('sha256', this.d.hmacKey).update(`recovery-code:${userId}:${normal}`).digest('hex');
  }
}
