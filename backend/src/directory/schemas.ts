import { z } from 'zod';

/** The bank admin's directory configuration (PUT /api/directory). Secrets are write-only. */
const domain = z.string().trim().toLowerCase().min(3).max(253).regex(/^(?=.{3,253}$)([a-z0-9-]+\.)+[a-z0-9-]+$/, 'must be a domain such as sparkasse.example');
const groupRoles = z.record(z.string().trim().min(1).max(500), z.array(z.string().uuid('must be role ids')).min(1).max(20))
  .refine((m) => Object.keys(m).length <= 50, 'may map at most 50 groups');
const common = {
  emailDomains: z.array(domain).max(10).default([]),
  /** Password sign-in refused for the bank's users (vendor staff keep password + second factor). */
  required: z.boolean().default(false),
  /** Create unknown users at their first directory sign-in, with roles from the group mapping only. */
  jit: z.boolean().default(false),
  groupRoles: groupRoles.default({}),
};
const secret = z.string().min(1).max(500);
const claim = z.string().trim().regex(/^[A-Za-z0-9_.:/-]{1,100}$/, 'must be a claim name');

export const oidcConfig = z.object({
  method: z.literal('oidc'),
  ...common,
  issuer: z.string().trim().max(500).url('must be the issuer URL'),
  clientId: z.string().trim().min(1).max(200),
  /** Omitted on update: the stored secret stays. */
  clientSecret: secret.optional(),
  emailClaim: claim.default('email'),
  groupsClaim: claim.nullable().default(null),
}).strict();

export const ldapConfig = z.object({
  method: z.literal('ldap'),
  ...common,
  url: z.string().trim().max(500).regex(/^ldaps?:\/\/[^\s/]+\/?$/, 'must be ldaps://host:port or ldap://host:port (with startTls)'),
  startTls: z.boolean().default(false),
  /** PEM of the CA that issued the directory's certificate; omitted: the system's CAs. */
  caPem: z.string().max(20_000).regex(/-----BEGIN CERTIFICATE-----/, 'must be a PEM certificate').nullable().default(null),
  /** `uid={local},ou=people,dc=bank` ({email}, {local} are escaped as DN values). */
  bindDnTemplate: z.string().trim().max(500).regex(/\{(email|local)\}/, 'must contain {email} or {local}').nullable().default(null),
  searchBase: z.string().trim().max(500).nullable().default(null),
  /** `(mail={email})` ({email}, {local} are escaped as filter values). */
  searchFilter: z.string().trim().max(500).regex(/^\(.*\{(email|local)\}.*\)$/, 'must be a filter such as (mail={email})').nullable().default(null),
  searchDn: z.string().trim().max(500).nullable().default(null),
  searchPassword: secret.optional(),
  groupAttribute: z.string().trim().regex(/^[A-Za-z][A-Za-z0-9-]{0,60}$/, 'must be an attribute name').default('memberOf'),
}).strict()
  .refine((c) => c.url.startsWith('ldaps://') || c.startTls, { message: 'the directory must be reached over TLS: ldaps:// or startTls', path: ['url'] })
  .refine((c) => Boolean(c.bindDnTemplate) !== Boolean(c.searchBase && c.searchFilter), { message: 'give either bindDnTemplate or searchBase and searchFilter', path: ['bindDnTemplate'] });

export const directoryConfig = z.discriminatedUnion('method', [oidcConfig, ldapConfig]);
export type DirectoryConfig = z.infer<typeof directoryConfig>;

const email = z.string().trim().min(3).max(254).regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address');
export const directoryLookupQuery = z.object({ email });
export const oidcStartQuery = z.object({ tenant: z.string().uuid('must be a tenant id') });
export const oidcCallbackQuery = z.object({
  code: z.string().max(2000).optional(),
  state: z.string().max(500).optional(),
  error: z.string().max(200).optional(),
}).passthrough();
export const ldapLoginBody = z.object({ email, password: z.string().min(1, 'is required').max(1000) }).strict();

/** Back-channel logout: the bank's id in the path (as in the OIDC start), the token in a small form body. */
export const backchannelLogoutPath = z.object({ tenant: z.string().uuid() });
export const BACKCHANNEL_LOGOUT_BODY_LIMIT = '16kb';
