import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import type { Mailer } from '../mail/mailer.js';
import type { PasswordHasher } from './password-hasher.js';
import type { PolicyDescription } from './password-policy.js';
import type { SecondFactor } from './second-factor.js';
import type { SessionTokens } from './session-token.js';

/** What every part of sign-in needs; built once by the wiring (app.ts, the CLI). */
export interface AuthDeps {
  db: Knex;
  hasher: PasswordHasher;
  tokens: SessionTokens;
  mailer: Mailer;
  clock: Clock;
  logger: Logger;
  hmacKey: string;
  secondFactor: SecondFactor;
  /** The bank requires sign-in through its directory: password sign-in refused for its users (backend/src/directory). */
  passwordRefused?: (tenantId: string) => Promise<boolean>;
  /** The platform requires passkeys of vendor staff, whatever the vendor tenant's setting says. */
  vendorPasskeyRequired?: boolean;
}

export interface ClientMeta {
  ip: string | undefined;
  userAgent: string | undefined;
  requestId: string;
}

export interface SessionInfo {
  user: { id: string; email: string; name: string; locale: 'de' | 'en' | null };
  tenant: { id: string; name: string; isVendor: boolean };
  permissions: string[];
  modules: string[];
  mustChangePassword: boolean;
  session: { id: string; idleMinutes: number; absoluteExpiresAt: string };
  passwordPolicy: PolicyDescription;
  /** Tenants this user may switch to (home tenant and vendor grants); one entry for bank staff. */
  tenants: { id: string; name: string }[];
  /** Second factor: enrolled, used for this session, and required of this user here. */
  mfa: {
    enrolled: boolean; verified: boolean; required: boolean;
    /** A passkey is registered; this session was opened with one; the bank (or platform) requires that of this user. */
    passkeyEnrolled: boolean; phishingResistant: boolean; passkeyRequired: boolean;
  };
}

/** Password accepted, second factor outstanding: no session yet, only a short-lived challenge. */
export interface SecondFactorChallenge {
  challenge: string;
}

export interface LoginResult extends SessionInfo {
  previousLogin: { at: string; ip: string | null; failuresSince: number } | null;
}

/** A new session's token and what the SPA is told about it. */
export interface OpenedSession {
  token: string;
  info: SessionInfo;
}
