import { Client, InvalidCredentialsError } from 'ldapts';

/**
 * LDAP bind (ldapts): the directory checks the password; Kontor never stores or logs it. Only over
 * TLS (ldaps:// or StartTLS) with the server certificate verified against the bank's CA (or the
 * system's). The user's DN comes from a template or a search with a service account; the groups
 * are read from the user's own entry (the group attribute, `memberOf` by default).
 */
export interface LdapSettings {
  url: string;
  startTls: boolean;
  caPem: string | null;
  bindDnTemplate: string | null;
  searchBase: string | null;
  searchFilter: string | null;
  searchDn: string | null;
  searchPassword: string | null;
  groupAttribute: string;
}

export type LdapOutcome =
  | { ok: true; dn: string; email: string | undefined; name: string | undefined; groups: string[] }
  | { ok: false; reason: 'wrong_password' | 'unknown_user' };

/** RFC 4514: a value inside a DN. */
export function escapeDnValue(value: string): string {
  return value.replace(/[\\,+"<>;=\0]/g, (c) => (c === '\0' ? '\\00' : `\\${c}`)).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, '\\ ');
}

/** RFC 4515: a value inside a search filter. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function fill(template: string, email: string, escape: (v: string) => string): string {
  const local = email.split('@')[0] ?? email;
  return template.replaceAll('{email}', escape(email)).replaceAll('{local}', escape(local));
}

const first = (v: unknown): string | undefined => (Array.isArray(v) ? first(v[0]) : typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined);
const all = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(all) : first(v) !== undefined ? [first(v)!] : []);

export async function ldapBind(s: LdapSettings, email: string, password: string, timeoutMs = 10_000): Promise<LdapOutcome> {
  const tlsOptions = { ...(s.caPem ? { ca: [s.caPem] } : {}), rejectUnauthorized: true, minVersion: 'TLSv1.2' as const };
  const client = new Client({ url: s.url, timeout: timeoutMs, connectTimeout: timeoutMs, ...(s.url.startsWith('ldaps://') ? { tlsOptions } : {}) });
  try {
    if (s.startTls && !s.url.startsWith('ldaps://')) await client.startTLS(tlsOptions);
    let dn: string;
    if (s.bindDnTemplate) {
      dn = fill(s.bindDnTemplate, email, escapeDnValue);
    } else {
      if (s.searchDn) await client.bind(s.searchDn, s.searchPassword ?? '');
      const { searchEntries } = await client.search(s.searchBase!, { scope: 'sub', filter: fill(s.searchFilter!, email, escapeFilterValue), attributes: ['dn'], sizeLimit: 2 });
      if (searchEntries.length !== 1) return { ok: false, reason: 'unknown_user' };
      dn = searchEntries[0]!.dn;
    }
    try {
      // An empty password would be an anonymous bind (RFC 4513 5.1.2): never accepted as a sign-in.
      if (!password) return { ok: false, reason: 'wrong_password' };
      await client.bind(dn, password);
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return { ok: false, reason: 'wrong_password' };
      throw err;
    }
    const { searchEntries } = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['mail', 'cn', 'displayName', s.groupAttribute] });
    const entry = searchEntries[0];
    return {
      ok: true, dn: entry?.dn ?? dn,
      email: first(entry?.mail),
      name: first(entry?.displayName) ?? first(entry?.cn),
      groups: all(entry?.[s.groupAttribute]).slice(0, 500),
    };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
