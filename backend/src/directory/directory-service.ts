import type { Knex } from 'knex';
import { fail } from '../http/error-catalogue.js';
import type { HttpError } from '../http/errors.js';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit-store.js';
import type { AuthService, ClientMeta, LoginResult, SecondFactorChallenge } from '../auth/auth-service.js';
import { recordRefusal, refuseDirectoryPassword, signInVouched } from './vouched-sign-in.js';
import type { RequestContext } from '../auth/context.js';
import { inTenant } from '../db/tenant-transaction.js';
import type { Logger } from '../log/logger.js';
import * as store from './directory-store.js';
import { ldapBind } from './ldap.js';
import { OidcFlows, ProviderUnreachable } from './oidc.js';
import { LogoutTokenRefusal, verifyLogoutToken, type LogoutRefusalReason } from './backchannel-logout.js';
import { endDirectorySessions } from '../auth/sessions.js';
import { allTenantIds } from '../auth/auth-store.js';
import type { DirectoryConfig } from './schemas.js';
import type { SecretBox } from './secret-box.js';

export const OIDC_STATE_AUDIENCE = 'kontor-oidc-state';
export const OIDC_STATE_SECONDS = 600;

export interface DirectoryDeps {
  db: Knex;
  auth: AuthService;
  box: SecretBox;
  clock: Clock;
  logger: Logger;
  /** Base of the redirect URI registered at the provider: `<publicUrl>/api/auth/oidc/callback`. */
  publicUrl: string;
  /** Plain-HTTP OIDC issuers (the test suite's local provider); never in production. */
  allowHttpIssuer?: boolean;
}

export type SignInOutcome = { token: string; result: LoginResult } | SecondFactorChallenge;

/** A refused directory sign-in: recorded already; `code` is what the sign-in page explains. */
export class DirectoryRefusal extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

function directoryUnavailable(): HttpError {
  return fail('directory_unavailable');
}

/** The admin's view of the configuration: never a secret, only whether one is stored. */
export interface DirectoryView {
  method: 'oidc' | 'ldap';
  emailDomains: string[];
  required: boolean;
  jit: boolean;
  groupRoles: Record<string, string[]>;
  redirectUri: string;
  /** OIDC only: where the provider posts its logout tokens (OpenID Connect Back-Channel Logout). */
  backchannelLogoutUri?: string;
  oidc?: { issuer: string; clientId: string; clientSecretSet: boolean; emailClaim: string; groupsClaim: string | null };
  ldap?: { url: string; startTls: boolean; caPem: string | null; bindDnTemplate: string | null; searchBase: string | null; searchFilter: string | null; searchDn: string | null; searchPasswordSet: boolean; groupAttribute: string };
}

export class DirectoryService {
  private readonly oidc: OidcFlows;

  constructor(private readonly d: DirectoryDeps) {
    this.oidc = new OidcFlows({ allowHttp: Boolean(d.allowHttpIssuer) });
    this.publicUrl = d.publicUrl;
  }

  private publicUrl: string;

  get redirectUri(): string {
    return `${this.publicUrl.replace(/\/$/, '')}/api/auth/oidc/callback`;
  }

  /** Tests learn their port only after the app was made. */
  setPublicUrl(url: string): void {
    this.publicUrl = url;
  }

  /** For AuthService: a bank that requires its directory refuses password sign-in of its users. */
  passwordRefused = (tenantId: string): Promise<boolean> => store.requiresDirectory(this.d.db, tenantId);

  // ---- configuration (bank admin) -----------------------------------------------------------

  async view(ctx: RequestContext): Promise<DirectoryView | null> {
    const row = await store.findDirectory(this.d.db, ctx.tenantId);
    return row ? this.describe(row) : null;
  }

  private describe(row: store.DirectoryRow): DirectoryView {
    const base = { method: row.method, emailDomains: row.email_domains, required: row.required, jit: row.jit, groupRoles: row.group_roles, redirectUri: this.redirectUri };
    if (row.method === 'oidc') {
      return { ...base, backchannelLogoutUri: this.backchannelLogoutUri(row.tenant_id), oidc: { issuer: row.oidc_issuer!, clientId: row.oidc_client_id!, clientSecretSet: Boolean(row.oidc_client_secret_enc), emailClaim: row.oidc_email_claim, groupsClaim: row.oidc_groups_claim } };
    }
    return {
      ...base,
      ldap: {
        url: row.ldap_url!, startTls: row.ldap_starttls, caPem: row.ldap_ca_pem, bindDnTemplate: row.ldap_bind_dn_template, searchBase: row.ldap_search_base,
        searchFilter: row.ldap_search_filter, searchDn: row.ldap_search_dn, searchPasswordSet: Boolean(row.ldap_search_password_enc), groupAttribute: row.ldap_group_attribute,
      },
    };
  }

  async configure(ctx: RequestContext, c: DirectoryConfig): Promise<DirectoryView> {
    if (ctx.isVendorTenant) throw fail('directory_not_for_vendor');
    const now = this.d.clock.now();
    const current = await store.findDirectory(this.d.db, ctx.tenantId);
    const roleIds = [...new Set(Object.values(c.groupRoles).flat())];
    const allowed = new Set(await store.assignableRoleIds(this.d.db, roleIds));
    const refused = roleIds.find((id) => !allowed.has(id));
    if (refused) throw fail('role_not_assignable', { reason: 'directory_groups', field: 'groupRoles' });
    const taken = await store.domainTakenElsewhere(this.d.db, ctx.tenantId, c.emailDomains);
    if (taken) throw fail('domain_taken', { field: 'emailDomains', domain: taken });
    const same = current?.method === c.method;
    const row: Omit<store.DirectoryRow, 'updated_at'> = {
      tenant_id: ctx.tenantId, method: c.method, email_domains: c.emailDomains, required: c.required, jit: c.jit, group_roles: c.groupRoles,
      oidc_issuer: null, oidc_client_id: null, oidc_client_secret_enc: null, oidc_email_claim: 'email', oidc_groups_claim: null,
      ldap_url: null, ldap_starttls: false, ldap_ca_pem: null, ldap_bind_dn_template: null, ldap_search_base: null, ldap_search_filter: null,
      ldap_search_dn: null, ldap_search_password_enc: null, ldap_group_attribute: 'memberOf',
    };
    if (c.method === 'oidc') {
      if (!this.d.allowHttpIssuer && !c.issuer.startsWith('https://')) throw fail('invalid_input', { reason: 'https_required', field: 'issuer' });
      const secret = c.clientSecret !== undefined ? this.d.box.encrypt(c.clientSecret) : same ? current.oidc_client_secret_enc : null;
      if (!secret) throw fail('invalid_input', { reason: 'required', field: 'clientSecret' });
      Object.assign(row, { oidc_issuer: c.issuer, oidc_client_id: c.clientId, oidc_client_secret_enc: secret, oidc_email_claim: c.emailClaim, oidc_groups_claim: c.groupsClaim });
    } else {
      const secret = c.searchPassword !== undefined ? this.d.box.encrypt(c.searchPassword) : same ? current.ldap_search_password_enc : null;
      Object.assign(row, {
        ldap_url: c.url, ldap_starttls: c.startTls, ldap_ca_pem: c.caPem, ldap_bind_dn_template: c.bindDnTemplate, ldap_search_base: c.searchBase,
        ldap_search_filter: c.searchFilter, ldap_search_dn: c.searchDn, ldap_search_password_enc: c.searchDn ? secret : null, ldap_group_attribute: c.groupAttribute,
      });
    }
    await store.saveDirectory(this.d.db, row, now);
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'settings.directory_changed', details: { method: c.method, required: String(c.required), jit: String(c.jit) },
      requestId: ctx.requestId, ip: ctx.ip,
    }, now);
    return this.describe((await store.findDirectory(this.d.db, ctx.tenantId))!);
  }

  async remove(ctx: RequestContext): Promise<void> {
    if (!(await store.deleteDirectory(this.d.db, ctx.tenantId))) throw fail('not_found', { reason: 'directory' });
    await recordAudit(ctx.trx, { tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'settings.directory_removed', requestId: ctx.requestId, ip: ctx.ip }, this.d.clock.now());
  }

  // ---- sign-in page ----------------------------------------------------------------------------

  /** Which directory serves this email's domain: the sign-in page shows "Mit <Bank>-Konto anmelden". */
  async lookup(email: string): Promise<{ tenantId: string; bankName: string; method: 'oidc' | 'ldap'; required: boolean } | null> {
    const domain = email.split('@').pop()!.toLowerCase();
    const row = await store.findDirectoryByDomain(this.d.db, domain);
    return row ? { tenantId: row.tenant_id, bankName: row.tenant_name, method: row.method, required: row.required } : null;
  }

  // ---- OpenID Connect -------------------------------------------------------------------------

  private async oidcDirectory(tenantId: string): Promise<store.DirectoryRow & { method: 'oidc' }> {
    const row = await store.findDirectory(this.d.db, tenantId);
    if (!row || row.method !== 'oidc' || !(await store.tenantName(this.d.db, tenantId))) throw fail('not_found', { reason: 'directory_sign_in' });
    return row as store.DirectoryRow & { method: 'oidc' };
  }

  private clientOf(row: store.DirectoryRow) {
    return { issuer: row.oidc_issuer!, clientId: row.oidc_client_id!, clientSecret: this.d.box.decrypt(row.oidc_client_secret_enc!) };
  }

  /** The provider's authorization URL, and the signed state (tenant, state, nonce, PKCE verifier) for the cookie. */
  async startOidc(tenantId: string): Promise<{ url: string; state: string }> {
    const row = await this.oidcDirectory(tenantId);
    try {
      const { url, pending } = await this.oidc.start(this.clientOf(row), this.redirectUri);
      return { url, state: this.d.box.signState(OIDC_STATE_AUDIENCE, { tid: tenantId, ...pending }, OIDC_STATE_SECONDS, this.d.clock.now()) };
    } catch (err) {
      this.d.logger.warn({ tenantId, err: (err as Error).name }, 'oidc discovery failed');
      throw directoryUnavailable();
    }
  }

  /** The callback: every check of the provider's answer, then the same sign-in as with a password. */
  async finishOidc(callbackUrl: URL, stateCookie: string | undefined, meta: ClientMeta): Promise<SignInOutcome> {
    const pending = this.d.box.verifyState<{ tid: string; state: string; nonce: string; verifier: string }>(OIDC_STATE_AUDIENCE, stateCookie, this.d.clock.now());
    if (!pending) return this.refuse(null, null, 'oidc_state_missing', meta);
    const row = await this.oidcDirectory(pending.tid).catch(() => undefined);
    if (!row) return this.refuse(pending.tid, null, 'oidc_not_configured', meta);
    let identity;
    try {
      identity = await this.oidc.finish(this.clientOf(row), callbackUrl, pending, { email: row.oidc_email_claim, groups: row.oidc_groups_claim });
    } catch (err) {
      // Nothing to refuse: the provider did not answer (the sign-in page says so, as at the start).
      if (err instanceof ProviderUnreachable) {
        this.d.logger.warn({ requestId: meta.requestId, tenantId: pending.tid, err: (err.cause as Error | undefined)?.name }, 'oidc provider unreachable');
        throw directoryUnavailable();
      }
      // The kind of failure (state, nonce, audience, expiry, signature) is logged by name, never the token.
      const code = (err as { code?: string }).code ?? (err as Error).name;
      this.d.logger.info({ requestId: meta.requestId, tenantId: pending.tid, failure: String(code).slice(0, 60) }, 'oidc answer refused');
      return this.refuse(pending.tid, null, 'oidc_rejected', meta);
    }
    return this.signInIdentity(row, 'oidc', identity.subject, identity.email, identity.name, identity.groups, meta, 'ok_oidc', identity.sid);
  }

  /** Where the bank admin registers back-channel logout at the provider (one address per bank). */
  backchannelLogoutUri(tenantId: string): string {
    return `${this.publicUrl.replace(/\/$/, '')}/api/auth/oidc/backchannel-logout/${tenantId}`;
  }

  /**
   * OpenID Connect Back-Channel Logout: the bank's provider says a user signed out there. The token
   * is checked against this bank's issuer and client (backchannel-logout.ts), its `jti` taken once,
   * then the sessions of the user linked to `sub` in this bank end (only those opened from the
   * provider session `sid`, where it is named). A refusal changes nothing.
   */
  async backchannelLogout(tenantId: string, logoutToken: string, meta: ClientMeta): Promise<{ sessions: number }> {
    const now = this.d.clock.now();
    const refuse = (reason: LogoutRefusalReason | 'directory' | 'replayed'): never => {
      this.d.logger.info({ requestId: meta.requestId, tenantId, reason }, 'logout token refused');
      throw fail('logout_token_rejected', { reason, field: 'logout_token' });
    };
    const row = await this.oidcDirectory(tenantId).catch(() => undefined);
    if (!row) return refuse('directory');
    const c = this.clientOf(row);
    let verified;
    try {
      const { issuer, keys } = await this.oidc.logoutKeys(c);
      verified = await verifyLogoutToken(logoutToken, keys, { issuer, clientId: c.clientId }, now);
    } catch (err) {
      if (err instanceof LogoutTokenRefusal) return refuse(err.reason);
      this.d.logger.warn({ requestId: meta.requestId, tenantId, err: (err as Error).name }, 'oidc discovery failed');
      return refuse('keys_unavailable');
    }
    const { sub, sid, jti, rememberUntil } = verified;
    const outcome = await inTenant(this.d.db, tenantId, async (trx) => {
      if (!(await store.useLogoutToken(trx, tenantId, jti, rememberUntil))) return 'replayed' as const;
      // Only a user of this bank linked to the subject: another bank's user is never named here.
      const userId = sub === undefined ? undefined : await store.linkedUser(trx, tenantId, 'oidc', sub);
      const sessions = sub !== undefined && !userId ? 0 : await endDirectorySessions(trx, tenantId, { userId, directorySid: sid }, now);
      await recordAudit(trx, {
        tenantId, actorUserId: null, type: 'user.sessions_ended_by_directory', ...(userId ? { subjectType: 'user', subjectId: userId } : {}),
        details: { sessions, by: sid === undefined ? 'sub' : 'sid' }, requestId: meta.requestId, ip: meta.ip,
      }, now);
      return { userId, sessions };
    });
    if (outcome === 'replayed') return refuse('replayed');
    this.d.logger.info({ requestId: meta.requestId, tenantId, userId: outcome.userId, sessions: outcome.sessions }, 'back-channel logout');
    return { sessions: outcome.sessions };
  }

  // ---- LDAP --------------------------------------------------------------------------------------

  /**
   * Email and password checked by a bind at the bank's directory. A refused password counts toward
   * the same lockout as a wrong Kontor password; the password is neither stored nor logged.
   */
  async ldapLogin(email: string, password: string, meta: ClientMeta): Promise<SignInOutcome> {
    const domain = email.split('@').pop()!.toLowerCase();
    const found = await store.findDirectoryByDomain(this.d.db, domain);
    if (!found || found.method !== 'ldap') throw fail('invalid_credentials');
    const known = await store.userByEmailInTenant(this.d.db, found.tenant_id, email);
    if (known?.status === 'locked') return refuseDirectoryPassword(this.d.auth.deps, known.id, meta);
    let outcome;
    try {
      outcome = await ldapBind({
        url: found.ldap_url!, startTls: found.ldap_starttls, caPem: found.ldap_ca_pem, bindDnTemplate: found.ldap_bind_dn_template,
        searchBase: found.ldap_search_base, searchFilter: found.ldap_search_filter, searchDn: found.ldap_search_dn,
        searchPassword: found.ldap_search_password_enc ? this.d.box.decrypt(found.ldap_search_password_enc) : null, groupAttribute: found.ldap_group_attribute,
      }, email, password);
    } catch (err) {
      this.d.logger.warn({ requestId: meta.requestId, tenantId: found.tenant_id, err: (err as Error).name, code: (err as { code?: string }).code }, 'ldap directory unreachable');
      throw directoryUnavailable();
    }
    if (!outcome.ok) {
      if (known) return refuseDirectoryPassword(this.d.auth.deps, known.id, meta);
      await recordRefusal(this.d.auth.deps, found.tenant_id, null, outcome.reason === 'unknown_user' ? 'unknown_email' : 'wrong_password', meta);
      throw fail('invalid_credentials');
    }
    try {
      return await this.signInIdentity(found, 'ldap', outcome.dn.toLowerCase(), outcome.email ?? email, outcome.name, outcome.groups, meta, 'ok_ldap');
    } catch (err) {
      if (err instanceof DirectoryRefusal) throw fail('invalid_credentials');
      throw err;
    }
  }

  // ---- shared -------------------------------------------------------------------------------------

  private async refuse(tenantId: string | null, userId: string | null, reason: string, meta: ClientMeta): Promise<never> {
    await recordRefusal(this.d.auth.deps, tenantId, userId, reason, meta);
    throw new DirectoryRefusal(reason);
  }

  /**
   * The directory vouched for `subject`: the linked user, else the bank's user with that email
   * (then linked), else — only where the bank allows it — a new user with roles from the group
   * mapping alone. Where a mapping is configured, it sets the user's roles at every sign-in.
   */
  private async signInIdentity(
    row: store.DirectoryRow, method: 'oidc' | 'ldap', subject: string, email: string | undefined, name: string | undefined, groups: string[], meta: ClientMeta, reason: string, directorySid?: string,
  ): Promise<SignInOutcome> {
    const now = this.d.clock.now();
    const tenantId = row.tenant_id;
    const mapped = await store.assignableRoleIds(this.d.db, [...new Set(groups.flatMap((g) => row.group_roles[g] ?? []))]);
    const mappingSet = Object.keys(row.group_roles).length > 0;
    let userId = await store.linkedUser(this.d.db, tenantId, method, subject);
    if (!userId && email) {
      const byEmail = await store.userByEmailInTenant(this.d.db, tenantId, email);
      if (byEmail) {
        // A user linked to another subject is not taken over by a second directory account with the same email.
        // (The same subject linked meanwhile, by a parallel first sign-in, is this person.)
        const linkedTo = await store.linkOf(this.d.db, byEmail.id, method);
        if (linkedTo && linkedTo !== subject) return this.refuse(tenantId, byEmail.id, 'directory_subject_mismatch', meta);
        if (!linkedTo) await store.link(this.d.db, tenantId, method, subject, byEmail.id, now);
        userId = byEmail.id;
      }
    }
    if (!userId) {
      if (!row.jit || !email) return this.refuse(tenantId, null, 'unknown_user', meta);
      if (!mapped.length) return this.refuse(tenantId, null, 'no_mapped_group', meta);
      // Parallel first sign-ins of the same person (a double click, several tabs) wait for each
      // other here: the first creates the user, the others find the link it made (never a 500 on
      // the unique email). The locks are taken in the same order by everyone, so none deadlocks.
      const made = await inTenant(this.d.db, tenantId, async (trx) => {
        await store.lockIdentity(trx, `directory:${tenantId}:${method}:${subject}`);
        await store.lockIdentity(trx, `email:${email.toLowerCase()}`);
        const linked = await store.linkedUser(trx, tenantId, method, subject);
        if (linked) return { id: linked };
        if (await store.emailTaken(trx, email)) return 'email_elsewhere' as const;
        const id = await store.createUser(trx, tenantId, email, name ?? email, now);
        await store.replaceRoles(trx, tenantId, id, mapped);
        await store.link(trx, tenantId, method, subject, id, now);
        await recordAudit(trx, { tenantId, actorUserId: id, type: 'user.created_by_directory', subjectType: 'user', subjectId: id, details: { method, roles: String(mapped.length) }, requestId: meta.requestId, ip: meta.ip }, now);
        return { id, created: true };
      });
      if (made === 'email_elsewhere') return this.refuse(tenantId, null, 'email_elsewhere', meta);
      userId = made.id;
      if ('created' in made) this.d.logger.info({ requestId: meta.requestId, tenantId, userId }, 'user created by directory sign-in');
    } else if (mappingSet) {
      const id = userId;
      await inTenant(this.d.db, tenantId, async (trx) => {
        // Parallel sign-ins of one person replace the roles one after the other (else a unique violation).
        await store.lockIdentity(trx, `directory:${tenantId}:${method}:${subject}`);
        const before = (await store.roleIdsOf(trx, tenantId, id)).sort();
        if (before.join() === [...mapped].sort().join()) return;
        await store.replaceRoles(trx, tenantId, id, mapped);
        await recordAudit(trx, { tenantId, actorUserId: id, type: 'user.roles_from_directory', subjectType: 'user', subjectId: id, details: { method, roles: String(mapped.length) }, requestId: meta.requestId, ip: meta.ip }, now);
      });
    }
    return signInVouched(this.d.auth.deps, userId, meta, { reason, mfaVerified: false, directorySid });
  }
}

/** Retention: logout token ids past the time their token could still be accepted (each bank's, in its tenant). */
export async function purgeUsedLogoutTokens(d: { db: Knex }, now: Date): Promise<{ logoutTokens: number }> {
  let logoutTokens = 0;
  for (const tenantId of await allTenantIds(d.db)) {
    logoutTokens += await inTenant(d.db, tenantId, (trx) => store.deleteUsedLogoutTokens(trx, tenantId, now));
  }
  return { logoutTokens };
}
