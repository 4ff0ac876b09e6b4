/** GET /api/directory: the bank's directory, never a secret (only whether one is stored). */
export interface DirectoryView {
  method: 'oidc' | 'ldap';
  emailDomains: string[];
  required: boolean;
  jit: boolean;
  groupRoles: Record<string, string[]>;
  redirectUri: string;
  /** OpenID Connect: where the provider posts its logout tokens (Back-Channel Logout). */
  backchannelLogoutUri?: string;
  oidc?: { issuer: string; clientId: string; clientSecretSet: boolean; emailClaim: string; groupsClaim: string | null };
  ldap?: {
    url: string;
    startTls: boolean;
    caPem: string | null;
    bindDnTemplate: string | null;
    searchBase: string | null;
    searchFilter: string | null;
    searchDn: string | null;
    searchPasswordSet: boolean;
    groupAttribute: string;
  };
}

export interface DirectoryModel {
  directory: DirectoryView | null;
  /** The roles a mapped group can give (assignable in banks); empty without the right to read roles. */
  roles: { id: string; name: string }[];
  /** Shown before a directory exists (the API answers it with the configuration). */
  redirectUri: string;
  /** The same for the back-channel logout address (the bank's own). */
  backchannelLogoutUri?: string;
}

export type TextField =
  | 'issuer' | 'clientId' | 'clientSecret' | 'emailClaim' | 'groupsClaim'
  | 'url' | 'caPem' | 'bindDnTemplate' | 'searchBase' | 'searchFilter' | 'searchDn' | 'searchPassword' | 'groupAttribute';

export type FlagField = 'required' | 'jit' | 'startTls';

export interface GroupMapping {
  group: string;
  roleIds: string[];
}

/** What the form holds while the admin types; secrets start empty. */
export interface Draft {
  method: 'oidc' | 'ldap';
  domains: string;
  required: boolean;
  jit: boolean;
  startTls: boolean;
  ldapMode: 'template' | 'search';
  groups: GroupMapping[];
  text: Record<TextField, string>;
}

export function draftOf(d: DirectoryView | null): Draft {
  const o = d?.oidc;
  const l = d?.ldap;
  return {
    method: d?.method ?? 'oidc',
    domains: (d?.emailDomains ?? []).join(', '),
    required: d?.required ?? false,
    jit: d?.jit ?? false,
    startTls: l?.startTls ?? false,
    ldapMode: l && !l.bindDnTemplate && l.searchBase ? 'search' : 'template',
    groups: Object.entries(d?.groupRoles ?? {}).map(([group, roleIds]) => ({ group, roleIds })),
    text: {
      issuer: o?.issuer ?? '', clientId: o?.clientId ?? '', clientSecret: '', emailClaim: o?.emailClaim ?? 'email', groupsClaim: o?.groupsClaim ?? '',
      url: l?.url ?? '', caPem: l?.caPem ?? '', bindDnTemplate: l?.bindDnTemplate ?? '', searchBase: l?.searchBase ?? '', searchFilter: l?.searchFilter ?? '',
      searchDn: l?.searchDn ?? '', searchPassword: '', groupAttribute: l?.groupAttribute ?? 'memberOf',
    },
  };
}

const orNull = (s: string): string | null => (s.trim() ? s.trim() : null);

/** The PUT /api/directory body: secrets only when typed (omitted, the stored one stays). */
export function bodyOf(d: Draft): Record<string, unknown> {
  const x = d.text;
  const common = {
    method: d.method,
    emailDomains: d.domains.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean),
    required: d.required,
    jit: d.jit,
    groupRoles: Object.fromEntries(d.groups.filter((g) => g.group.trim() && g.roleIds.length).map((g) => [g.group.trim(), g.roleIds])),
  };
  if (d.method === 'oidc') {
    return {
      ...common, issuer: x.issuer.trim(), clientId: x.clientId.trim(), emailClaim: x.emailClaim.trim() || 'email', groupsClaim: orNull(x.groupsClaim),
      ...(x.clientSecret ? { clientSecret: x.clientSecret } : {}),
    };
  }
  const search = d.ldapMode === 'search';
  return {
    ...common, url: x.url.trim(), startTls: d.startTls, caPem: orNull(x.caPem), groupAttribute: x.groupAttribute.trim() || 'memberOf',
    bindDnTemplate: search ? null : orNull(x.bindDnTemplate),
    searchBase: search ? orNull(x.searchBase) : null, searchFilter: search ? orNull(x.searchFilter) : null, searchDn: search ? orNull(x.searchDn) : null,
    ...(search && x.searchPassword ? { searchPassword: x.searchPassword } : {}),
  };
}
