import { createHash } from 'node:crypto';
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type AuthenticatorTransport, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Knex } from 'knex';
import { recordAudit } from '../../audit/audit-store.js';
import type { Clock } from '../../clock.js';
import type { SecretBox } from '../../directory/secret-box.js';
import { recordRefusal, signInVouched } from '../../directory/vouched-sign-in.js';
import { fail } from '../../http/error-catalogue.js';
import type { HttpError } from '../../http/errors.js';
import type { Logger } from '../../log/logger.js';
import * as authStore from '../auth-store.js';
import type { AuthDeps, ClientMeta, SecondFactorChallenge } from '../auth-types.js';
import type { RequestContext } from '../context.js';
import { countFailedAttempt, isLockedOut } from '../lockout.js';
import { passkeyRequiredFor } from '../mfa-policy.js';
import { openSignedInSession, type SignedIn } from '../sign-in.js';
import * as store from './passkeys-store.js';

const REGISTER_AUDIENCE = 'kontor-passkey-register';
const SIGN_IN_AUDIENCE = 'kontor-passkey-sign-in';
const SECOND_STEP_AUDIENCE = 'kontor-passkey-second-step';
export const CHALLENGE_SECONDS = 300;

export interface PasskeyDeps {
  db: Knex;
  auth: AuthDeps;
  box: SecretBox;
  clock: Clock;
  logger: Logger;
  /** Kontor's public URL: its host is the relying party id, its origin the one expected in every answer. */
  publicUrl: string;
}

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
  deviceType: string;
}

function refused(): HttpError {
  return fail('passkey_rejected', { reason: 'sign_in' });
}

/**
 * Passkeys (WebAuthn, @simplewebauthn/server): registration on the Security page, sign-in without a
 * password (user verification required, so the passkey counts as two factors), removal. Counters
 * and backup flags are stored; a counter that does not move forward (a cloned authenticator or a
 * replay) is refused. Challenges travel in a signed cookie and are accepted once per instance.
 */
export class Passkeys {
  private rp: { id: string; origin: string };
  private readonly usedChallenges = new Map<string, number>();

  constructor(private readonly d: PasskeyDeps) {
    this.rp = this.rpOf(d.publicUrl);
  }

  private rpOf(url: string): { id: string; origin: string } {
    const u = new URL(url);
    return { id: u.hostname, origin: u.origin };
  }

  /** Tests learn their port only after the app was made. */
  setPublicUrl(url: string): void {
    this.rp = this.rpOf(url);
  }

  private firstUse(challenge: string): boolean {
    const now = this.d.clock.now().getTime();
    for (const [k, until] of this.usedChallenges) if (until < now) this.usedChallenges.delete(k);
    const key = createHash('sha256').update(challenge).digest('hex');
    if (this.usedChallenges.has(key)) return false;
    this.usedChallenges.set(key, now + CHALLENGE_SECONDS * 1000);
    return true;
  }

  async list(ctx: RequestContext): Promise<PasskeyView[]> {
    return (await store.listPasskeys(this.d.db, ctx.userId)).map((p) => ({
      id: p.id, name: p.name, createdAt: p.created_at.toISOString(), lastUsedAt: p.last_used_at?.toISOString() ?? null, backedUp: p.backed_up, deviceType: p.device_type,
    }));
  }

  /**
   * Where a passkey is required of this person, a session not opened with one may add the first
   * passkey (the bootstrap) but no further one: a stolen password and TOTP code must not be enough
   * to add an attacker's passkey next to the owner's.
   */
  private async assertMayAdd(ctx: RequestContext, existing: number): Promise<void> {
    if (!existing) return;
    const settings = await authStore.tenantSettings(ctx.trx, ctx.tenantId);
    if (!passkeyRequiredFor(settings.passkey_required, ctx.rights, ctx.isVendorTenant, this.d.auth.vendorPasskeyRequired)) return;
    if (!(await authStore.findSession(ctx.trx, ctx.tenantId, ctx.sessionId))?.phishing_resistant) throw fail('passkey_required', { reason: 'sign_in' });
  }

  async registrationOptions(ctx: RequestContext): Promise<{ options: unknown; state: string }> {
    const user = await authStore.findUser(this.d.db, ctx.userId);
    const existing = await store.listPasskeys(this.d.db, ctx.userId);
    await this.assertMayAdd(ctx, existing.length);
    if (existing.length >= store.MAX_PASSKEYS_PER_USER) throw fail('passkey_limit', { limit: store.MAX_PASSKEYS_PER_USER });
    const options = await generateRegistrationOptions({
      rpName: 'Kontor', rpID: this.rp.id, userName: user!.email, userDisplayName: user!.name,
      userID: new TextEncoder().encode(ctx.userId), attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: p.transports as AuthenticatorTransport[] })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    return { options, state: this.d.box.signState(REGISTER_AUDIENCE, { uid: ctx.userId, challenge: options.challenge }, CHALLENGE_SECONDS, this.d.clock.now()) };
  }

  async register(ctx: RequestContext, name: string, response: RegistrationResponseJSON, stateCookie: string | undefined): Promise<PasskeyView> {
    const now = this.d.clock.now();
    const state = this.d.box.verifyState<{ uid: string; challenge: string }>(REGISTER_AUDIENCE, stateCookie, now);
    if (!state || state.uid !== ctx.userId || !this.firstUse(state.challenge)) throw fail('passkey_challenge_expired', { reason: 'registration', field: 'response' });
    let verification;
    try {
      verification = await verifyRegistrationResponse({ response, expectedChallenge: state.challenge, expectedOrigin: this.rp.origin, expectedRPID: this.rp.id, requireUserVerification: true });
    } catch (err) {
      this.d.logger.info({ requestId: ctx.requestId, failure: (err as Error).name }, 'passkey registration refused');
      throw fail('passkey_rejected', { reason: 'registration', field: 'response' });
    }
    if (!verification.verified) throw fail('passkey_rejected', { reason: 'registration', field: 'response' });
    const info = verification.registrationInfo;
    if (await store.findByCredentialId(this.d.db, info.credential.id)) throw fail('passkey_exists');
    const count = await store.countPasskeys(this.d.db, ctx.userId);
    if (count >= store.MAX_PASSKEYS_PER_USER) throw fail('passkey_limit', { limit: store.MAX_PASSKEYS_PER_USER });
    await this.assertMayAdd(ctx, count);
    const id = await store.insertPasskey(this.d.db, {
      user_id: ctx.userId, credential_id: info.credential.id, public_key: Buffer.from(info.credential.publicKey), counter: String(info.credential.counter),
      transports: (response.response.transports ?? []).slice(0, 10), device_type: info.credentialDeviceType, backed_up: info.credentialBackedUp, name, created_at: now,
    });
    await recordAudit(ctx.trx, { tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'auth.passkey_added', subjectType: 'user', subjectId: ctx.userId, details: { passkey: id }, requestId: ctx.requestId, ip: ctx.ip }, now);
    return (await this.list(ctx)).find((p) => p.id === id)!;
  }

  async remove(ctx: RequestContext, id: string): Promise<void> {
    if (!(await store.deletePasskey(this.d.db, ctx.userId, id))) throw fail('not_found', { reason: 'passkey' });
    await recordAudit(ctx.trx, { tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'auth.passkey_removed', subjectType: 'user', subjectId: ctx.userId, details: { passkey: id }, requestId: ctx.requestId, ip: ctx.ip }, this.d.clock.now());
  }

  /** Options for a sign-in with any passkey of this site (discoverable credentials: no email first). */
  async signInOptions(): Promise<{ options: unknown; state: string }> {
    const options = await generateAuthenticationOptions({ rpID: this.rp.id, userVerification: 'required' });
    return { options, state: this.d.box.signState(SIGN_IN_AUDIENCE, { challenge: options.challenge }, CHALLENGE_SECONDS, this.d.clock.now()) };
  }

  async signIn(response: AuthenticationResponseJSON, stateCookie: string | undefined, meta: ClientMeta): Promise<SignedIn | SecondFactorChallenge> {
    const now = this.d.clock.now();
    const state = this.d.box.verifyState<{ challenge: string }>(SIGN_IN_AUDIENCE, stateCookie, now);
    if (!state || !this.firstUse(state.challenge)) throw fail('passkey_challenge_expired', { reason: 'sign_in' });
    const passkey = await store.findByCredentialId(this.d.db, response.id);
    const refuse = async (reason: string): Promise<never> => {
      const user = passkey ? await authStore.findUser(this.d.db, passkey.user_id) : undefined;
      await recordRefusal(this.d.auth, user?.tenant_id ?? null, user?.id ?? null, reason, meta);
      throw refused();
    };
    if (!passkey) return refuse('passkey_unknown');
    const failure = await this.verifyAndRecord(passkey, response, state.challenge, now, meta, 'passkey sign-in refused');
    if (failure) return refuse(failure);
    // A bank that requires its directory means it: a passkey does not bypass it (a leaver disabled
    // in the directory must not keep a way in). As the second step after the directory it counts.
    const owner = await authStore.findUser(this.d.db, passkey.user_id);
    if (owner && this.d.auth.passwordRefused && (await this.d.auth.passwordRefused(owner.tenant_id))) {
      await recordRefusal(this.d.auth, owner.tenant_id, owner.id, 'directory_required', meta);
      throw fail('directory_sign_in_required');
    }
    return signInVouched(this.d.auth, passkey.user_id, meta, { reason: 'ok_passkey', mfaVerified: true, phishingResistant: true });
  }

  /**
   * Verifies an assertion against the stored passkey (user verification required) and records its
   * use; the refusal reason when it fails. A counter that did not increase is a cloned authenticator
   * (the library reports it as an error, the store's compare-and-set as a lost race).
   */
  private async verifyAndRecord(
    passkey: NonNullable<Awaited<ReturnType<typeof store.findByCredentialId>>>, response: AuthenticationResponseJSON,
    challenge: string, now: Date, meta: ClientMeta, logText: string,
  ): Promise<'passkey_cloned' | 'passkey_rejected' | null> {
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response, expectedChallenge: challenge, expectedOrigin: this.rp.origin, expectedRPID: this.rp.id, requireUserVerification: true,
        credential: { id: passkey.credential_id, publicKey: new Uint8Array(passkey.public_key), counter: Number(passkey.counter), transports: passkey.transports },
      });
    } catch (err) {
      const cloned = /counter/i.test((err as Error).message);
      this.d.logger.info({ requestId: meta.requestId, userId: passkey.user_id, failure: cloned ? 'counter' : (err as Error).name }, logText);
      return cloned ? 'passkey_cloned' : 'passkey_rejected';
    }
    if (!verification.verified) return 'passkey_rejected';
    const info = verification.authenticationInfo;
    if (!(await store.recordUse(this.d.db, passkey.id, Number(passkey.counter), info.newCounter, info.credentialBackedUp, now))) return 'passkey_cloned';
    return null;
  }

  // ---- the second step after a password or the directory -----------------------------------------

  /** Options for the challenged user's own passkeys (the challenge cookie names the user). */
  async secondStepOptions(challenge: string | undefined): Promise<{ options: unknown; state: string }> {
    const claims = challenge ? this.d.auth.tokens.verifyChallenge(challenge) : undefined;
    if (!claims) throw fail('challenge_expired');
    const keys = await store.listPasskeys(this.d.db, claims.sub);
    const options = await generateAuthenticationOptions({
      rpID: this.rp.id, userVerification: 'required',
      allowCredentials: keys.map((k) => ({ id: k.credential_id, transports: k.transports as AuthenticatorTransport[] })),
    });
    return { options, state: this.d.box.signState(SECOND_STEP_AUDIENCE, { challenge: options.challenge, uid: claims.sub }, CHALLENGE_SECONDS, this.d.clock.now()) };
  }

  /**
   * The passkey as the second step: only one of the challenged user's own passkeys; a refused
   * assertion counts toward the same lockout as a wrong TOTP code. The session is phishing-resistant.
   */
  async secondStep(challenge: string | undefined, response: AuthenticationResponseJSON, stateCookie: string | undefined, meta: ClientMeta): Promise<SignedIn> {
    const now = this.d.clock.now();
    const claims = challenge ? this.d.auth.tokens.verifyChallenge(challenge) : undefined;
    if (!claims) throw fail('challenge_expired');
    const state = this.d.box.verifyState<{ challenge: string; uid: string }>(SECOND_STEP_AUDIENCE, stateCookie, now);
    if (!state || state.uid !== claims.sub || !this.firstUse(state.challenge)) throw fail('passkey_challenge_expired', { reason: 'sign_in' });
    const user = await authStore.findUser(this.d.db, claims.sub);
    const refuse = async (reason: string, count: boolean): Promise<never> => {
      const locked = count && user ? (await countFailedAttempt(this.d.auth, this.d.db, user, now)).locked : false;
      await recordRefusal(this.d.auth, claims.tid, claims.sub, locked ? 'locked' : reason, meta);
      throw refused();
    };
    if (!user || isLockedOut(user)) return refuse(user?.status === 'locked' ? 'locked' : 'inactive', false);
    if (Number(user.sign_in_seq) !== claims.seq) {
      await recordRefusal(this.d.auth, claims.tid, claims.sub, 'challenge_used', meta);
      throw fail('challenge_expired');
    }
    const passkey = await store.findByCredentialId(this.d.db, response.id);
    if (!passkey || passkey.user_id !== user.id) return refuse('passkey_unknown', true);
    const failure = await this.verifyAndRecord(passkey, response, state.challenge, now, meta, 'passkey second step refused');
    if (failure) return refuse(failure, true);
    return openSignedInSession(this.d.auth, user, meta, { now, mfaVerified: true, phishingResistant: true, reason: 'ok_passkey_second_step', challengeSeq: claims.seq, directorySid: claims.dsid });
  }
}
