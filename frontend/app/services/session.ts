import Service, { service } from '@ember/service';
import { tracked } from '@glimmer/tracking';
import type RouterService from '@ember/routing/router-service';
import type IntlService from 'ember-intl/services/intl';
import { ApiError } from 'frontend/services/api';
import type ApiService from 'frontend/services/api';
import type WebauthnService from 'frontend/services/webauthn';
import type LocaleService from 'frontend/services/locale';
import type { Locale } from 'frontend/services/locale';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';

export interface PasswordPolicy {
  profile: 'standard' | 'classic';
  minLength: number;
  maxLength: number;
  requiresDigit: boolean;
  requiresLowercase: boolean;
  requiresUppercase: boolean;
}

export interface SessionInfo {
  /** `locale`: the language the user chose, kept on the server (null: not chosen yet). */
  user: { id: string; email: string; name: string; locale?: 'de' | 'en' | null };
  tenant: { id: string; name: string; isVendor: boolean };
  permissions: string[];
  modules: string[];
  mustChangePassword: boolean;
  session: { id: string; idleMinutes: number; absoluteExpiresAt: string };
  passwordPolicy: PasswordPolicy;
  tenants: { id: string; name: string }[];
  /** `passkey*`: a passkey is registered; this session was opened with one; one is required of this user here. */
  mfa: { enrolled: boolean; verified: boolean; required: boolean; passkeyEnrolled?: boolean; phishingResistant?: boolean; passkeyRequired?: boolean };
}

export interface PreviousLogin {
  at: string;
  ip: string | null;
  failuresSince: number;
}

/** Renew the 15-minute token at most this often, and only after the user did something. */
const RENEW_AFTER_MS = 5 * 60_000;
/** The idle warning shows this long before the server would end the session. */
const WARN_BEFORE_MS = 2 * 60_000;
const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;

/**
 * Owns sign-in state, silent renewal, the idle warning and sign-out. Keeps nothing on the device:
 * the token is an HttpOnly cookie, and this state lives only in memory.
 */
export default class SessionService extends Service {
  @service declare api: ApiService;
  @service declare webauthn: WebauthnService;
  @service declare router: RouterService;
  @service declare intl: IntlService;
  @service declare locale: LocaleService;

  @tracked info: SessionInfo | null = null;
  @tracked previousLogin: PreviousLogin | null = null;
  /** Translation key of a message for the sign-in page (signed out, expired …). */
  @tracked notice: string | null = null;
  /** The idle limit of the last session, for "You were away for N minutes" (null when unknown). */
  @tracked idleMinutes: number | null = null;
  /** A page was refused for lack of a right; the overview says so once. */
  @tracked denied = false;
  @tracked warningSecondsLeft: number | null = null;

  /** Replaceable in tests. */
  now: () => number = () => Date.now();
  private lastInteraction = 0;
  private lastRenewal = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private renewing = false;

  get isSignedIn(): boolean {
    return this.info !== null;
  }

  can(area: string, access: 'read' | 'write'): boolean {
    const p = this.info?.permissions ?? [];
    return p.includes(`${area}:${access}`) || (access === 'read' && p.includes(`${area}:write`));
  }

  /** A licensed module (segmentation, leasing) and the right of the same name. */
  canUse(module: string, access: 'read' | 'write'): boolean {
    return (this.info?.modules ?? []).includes(module) && this.can(module, access);
  }

  /** Asks the server whether the cookie still names a live session. */
  async load(): Promise<boolean> {
    if (this.info) return true;
    try {
      this.info = await this.api.get<SessionInfo>('/auth/session', { expectUnauthenticated: true });
      this.adoptLocale(this.info);
      this.startWatching();
      return true;
    } catch (error) {
      this.info = null;
      // Coming back to a session that ended meanwhile: the login page says why (not for "no session at all").
      if (error instanceof ApiError && error.reason && error.reason !== 'unknown') this.notice = this.endedNotice(error.code, error.reason) ?? this.notice;
      return false;
    }
  }

  /** Step one; answers 'second_factor' when the account has a factor (no session exists yet). */
  async login(email: string, password: string): Promise<SessionInfo | 'second_factor'> {
    const result = await this.api.post<(SessionInfo & { previousLogin: PreviousLogin | null }) | { secondFactorRequired: true }>(
      '/auth/login',
      { email, password },
      { expectUnauthenticated: true },
    );
    if ('secondFactorRequired' in result) return 'second_factor';
    return this.signedIn(result);
  }

  /** LDAP: the password goes to the bank's directory; answers as login() does. */
  async directoryLogin(email: string, password: string): Promise<SessionInfo | 'second_factor'> {
    const result = await this.api.post<(SessionInfo & { previousLogin: PreviousLogin | null }) | { secondFactorRequired: true }>(
      '/auth/login/directory',
      { email, password },
      { expectUnauthenticated: true },
    );
    if ('secondFactorRequired' in result) return 'second_factor';
    return this.signedIn(result);
  }

  /** Passwordless: the browser's passkey answers the server's challenge (the library loads only now). */
  async passkeyLogin(): Promise<SessionInfo | 'second_factor'> {
    const options = await this.api.post<PublicKeyCredentialRequestOptionsJSON>('/auth/login/passkey/options', {}, { expectUnauthenticated: true });
    const response = await this.webauthn.authenticate(options);
    const result = await this.api.post<(SessionInfo & { previousLogin: PreviousLogin | null }) | { secondFactorRequired: true }>(
      '/auth/login/passkey',
      { response },
      { expectUnauthenticated: true },
    );
    if ('secondFactorRequired' in result) return 'second_factor';
    return this.signedIn(result);
  }

  /** Step two with a passkey of the challenged user instead of a code (the library loads only now). */
  async secondFactorPasskey(): Promise<SessionInfo> {
    const options = await this.api.post<PublicKeyCredentialRequestOptionsJSON>('/auth/login/second-factor/passkey/options', {}, { expectUnauthenticated: true });
    const response = await this.webauthn.authenticate(options);
    const result = await this.api.post<SessionInfo & { previousLogin: PreviousLogin | null }>('/auth/login/second-factor/passkey', { response }, { expectUnauthenticated: true });
    return this.signedIn(result);
  }

  /** Step two: the code from the app, or a recovery code. */
  async secondFactor(answer: { code: string } | { recoveryCode: string }): Promise<SessionInfo> {
    const result = await this.api.post<SessionInfo & { previousLogin: PreviousLogin | null }>('/auth/login/second-factor', answer, { expectUnauthenticated: true });
    return this.signedIn(result);
  }

  private signedIn(result: SessionInfo & { previousLogin: PreviousLogin | null }): SessionInfo {
    const { previousLogin, ...info } = result;
    this.info = info;
    this.adoptLocale(info);
    this.previousLogin = previousLogin;
    this.notice = null;
    this.startWatching();
    return info;
  }

  /**
   * The language kept with the user wins over the browser's (after sign-in and on reload). A
   * language picked on the sign-in page before the user ever chose one is kept for them.
   */
  private adoptLocale(info: SessionInfo): void {
    const chosen = info.user.locale;
    if (chosen) this.locale.use(chosen === 'en' ? 'en-us' : 'de-de');
    else if (chosen === null && this.locale.pickedByHand) void this.saveLocale(this.locale.current);
  }

  /** The language switch: shown at once, and kept on the server when someone is signed in. */
  async chooseLocale(locale: Locale): Promise<void> {
    this.locale.use(locale, true);
    if (this.info) await this.saveLocale(locale);
  }

  toggleLocale = (): Promise<void> => this.chooseLocale(this.locale.current === 'de-de' ? 'en-us' : 'de-de');

  private async saveLocale(locale: Locale): Promise<void> {
    const short = locale === 'en-us' ? 'en' : 'de';
    try {
      await this.api.request('PATCH', '/auth/profile', { locale: short });
      if (this.info) this.info = { ...this.info, user: { ...this.info.user, locale: short } };
    } catch {
      // The screen already speaks the language; only the next device or reload would not know it.
    }
  }

  /** Where a fresh session must go first: a pending password change, then a required second factor. */
  get pendingStep(): 'app.password' | 'app.security' | null {
    if (this.info?.mustChangePassword) return 'app.password';
    if (this.info?.mfa?.required && !this.info.mfa.enrolled) return 'app.security';
    // The bank requires a passkey and this session was not opened with one: register it (or sign in with it) first.
    if (this.info?.mfa?.passkeyRequired && !this.info.mfa.phishingResistant) return 'app.security';
    return null;
  }

  /** After enrolment the session counts as verified. */
  markEnrolled(): void {
    if (this.info) this.info = { ...this.info, mfa: { ...this.info.mfa, enrolled: true, verified: true } };
  }

  handleMfaEnrolmentRequired(): void {
    void this.router.transitionTo('app.security');
  }

  async logout(noticeKey = 'login.signedOut'): Promise<void> {
    this.stopWatching();
    try {
      await this.api.post('/auth/logout', {}, { expectUnauthenticated: true });
    } catch {
      // Signing out locally is what matters; the server ends the session at its idle limit anyway.
    }
    this.clear(noticeKey);
  }

  async renew(): Promise<void> {
    if (this.renewing || !this.info) return;
    this.renewing = true;
    try {
      this.info = await this.api.post<SessionInfo>('/auth/refresh');
      this.lastRenewal = this.now();
    } finally {
      this.renewing = false;
    }
  }

  async stayActive(): Promise<void> {
    this.noteInteraction();
    this.warningSecondsLeft = null;
    await this.renew();
  }

  /** Vendor staff: a new session in another granted tenant; the old one ends on the server. */
  async switchTenant(tenantId: string): Promise<void> {
    this.info = await this.api.post<SessionInfo>('/auth/switch-tenant', { tenantId });
    this.lastRenewal = this.now();
    this.noteInteraction();
    await this.router.transitionTo('app.index');
  }

  canAny(...rights: [string, 'read' | 'write'][]): boolean {
    return rights.some(([area, access]) => this.can(area, access));
  }

  markPasswordChanged(): void {
    if (this.info) this.info = { ...this.info, mustChangePassword: false };
  }

  /** The server said the session is over; the login page says why when the server said why. */
  handleUnauthenticated(code?: string, reason?: string): void {
    if (!this.info) return;
    this.stopWatching();
    this.clear(this.endedNotice(code, reason) ?? 'login.expired');
  }

  /** The sentence for a 401 `{code: "session_expired", reason}`; null when the server gave no reason we know. */
  endedNotice(code?: string, reason?: string): string | null {
    if (code !== 'session_expired') return null;
    if (reason === 'idle' && !this.idleMinutes) return 'login.ended.idleLong';
    const key = `login.ended.${reason ?? 'session_expired'}`;
    return this.intl.exists(key) ? key : 'login.ended.session_expired';
  }

  handlePasswordChangeRequired(): void {
    void this.router.transitionTo('app.password');
  }

  noteInteraction = (): void => {
    this.lastInteraction = this.now();
  };

  /** One step of the idle/renewal clock; runs every second while signed in. */
  async tick(): Promise<void> {
    if (!this.info) return;
    const now = this.now();
    const idleMs = this.info.session.idleMinutes * 60_000;
    const quietFor = now - this.lastInteraction;
    if (quietFor >= idleMs || now >= Date.parse(this.info.session.absoluteExpiresAt)) {
      await this.logout(quietFor >= idleMs ? 'login.idleSignedOut' : 'login.expired');
      return;
    }
    if (quietFor >= idleMs - WARN_BEFORE_MS) {
      this.warningSecondsLeft = Math.ceil((idleMs - quietFor) / 1000);
      return;
    }
    this.warningSecondsLeft = null;
    if (this.lastInteraction > this.lastRenewal && now - this.lastRenewal >= RENEW_AFTER_MS) await this.renew();
  }

  private startWatching(): void {
    this.lastInteraction = this.now();
    this.lastRenewal = this.now();
    if (this.timer) return;
    for (const e of ACTIVITY_EVENTS) document.addEventListener(e, this.noteInteraction, { passive: true });
    this.timer = setInterval(() => void this.tick().catch(() => undefined), 1000);
  }

  private stopWatching(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const e of ACTIVITY_EVENTS) document.removeEventListener(e, this.noteInteraction);
    this.warningSecondsLeft = null;
  }

  private clear(noticeKey: string): void {
    this.idleMinutes = this.info?.session.idleMinutes ?? null;
    this.info = null;
    this.previousLogin = null;
    this.notice = noticeKey;
    void this.router.transitionTo('login');
  }

  override willDestroy(): void {
    this.stopWatching();
    super.willDestroy();
  }
}

declare module '@ember/service' {
  interface Registry {
    session: SessionService;
  }
}
