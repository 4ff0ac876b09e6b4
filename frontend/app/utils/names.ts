import type IntlService from 'ember-intl/services/intl';

/**
 * What the SPA shows for identifiers that come from data (issue 15): built-in role names, rights,
 * audit event types, the "unassigned" segment. Anything without a text (a bank's own role, a
 * segment the template named) is shown as the data has it.
 */

/** The built-in roles' stored names (frozen in their migration; built-in roles cannot be renamed) by key. */
const BUILTIN_ROLES: Record<string, string> = {
  'Tenant admin': 'tenant_admin',
  Analyst: 'analyst',
  Reader: 'reader',
  Superadmin: 'superadmin',
  Administration: 'administration',
  Support: 'support',
};

/** A role by its key when it has one, else by its stored name (lists carry names only). */
export function roleName(intl: IntlService, role: string | { key?: string | null; name: string }): string {
  const name = typeof role === 'string' ? role : role.name;
  const key = (typeof role === 'string' ? undefined : role.key) ?? BUILTIN_ROLES[name];
  return key && intl.exists(`names.role.${key}`) ? intl.t(`names.role.${key}`) : name;
}

/** "a, b" of stored role names (a recertification's snapshot), each in the UI's language. */
export function roleNamesText(intl: IntlService, names: string): string {
  return names.split(', ').filter(Boolean).map((n) => roleName(intl, n)).join(', ');
}

/** `containers:read` → "Datencontainer: lesen"; an unknown right stays as it is. */
export function rightName(intl: IntlService, right: string): string {
  const [area = '', access = ''] = right.split(':');
  const areaKey = `names.area.${area.replace('.', '_')}`;
  const accessKey = `names.access.${access}`;
  if (!intl.exists(areaKey) || !intl.exists(accessKey)) return right;
  return `${intl.t(areaKey)}: ${intl.t(accessKey)}`;
}

/** An audit record's type (`container.created`) as a sentence fragment; an unknown one stays as it is. */
export function auditTypeName(intl: IntlService, type: string): string {
  const key = `names.audit.${type}`;
  return /^[a-z_]+\.[a-z_]+$/.test(type) && intl.exists(key) ? intl.t(key) : type;
}

/** Why a sign-in record went as it did (`wrong_password`); an unknown reason stays as it is. */
export function loginReasonName(intl: IntlService, reason: string | null | undefined): string {
  if (!reason) return '';
  const key = `names.loginReason.${reason}`;
  return /^[a-z_]+$/.test(reason) && intl.exists(key) ? intl.t(key) : reason;
}

/** What kind of thing an audit record is about (container, user, …). */
export function subjectTypeName(intl: IntlService, type: string | null | undefined): string {
  if (!type) return '';
  const key = `names.subject.${type}`;
  return /^[a-z_]+$/.test(type) && intl.exists(key) ? intl.t(key) : type;
}

/** The segment every group lands in that no template segment took (kut 0, named `unassigned` by the server). */
export function segmentName(intl: IntlService, segment: { segment: string; kut: number }): string {
  return segment.kut === 0 && segment.segment === 'unassigned' ? intl.t('names.segment.unassigned') : segment.segment;
}

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/\b(?:OPR|Opera)\/(\d+)/, 'Opera'],
  [/\bFirefox\/(\d+)/, 'Firefox'],
  [/\bFxiOS\/(\d+)/, 'Firefox'],
  [/\bCriOS\/(\d+)/, 'Chrome'],
  [/\bChromium\/(\d+)/, 'Chromium'],
  [/(?:\b|Headless)Chrome\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)(?:\.\d+)*.*\bSafari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\bWindows\b/, 'Windows'],
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/**
 * A browser's User-Agent header as a person says it: "Firefox 128 on Windows". A small list instead
 * of a parser library: the sessions page needs only the common browsers and systems, and anything
 * else (a script, curl) is shown by its first product token.
 */
export function describeUserAgent(ua: string | null | undefined): { browser: string; os: string | null } | null {
  if (!ua) return null;
  const os = SYSTEMS.find(([re]) => re.test(ua))?.[1] ?? null;
  for (const [re, name] of BROWSERS) {
    const version = re.exec(ua)?.[1];
    if (version) return { browser: `${name} ${version}`, os };
  }
  const product = /^([A-Za-z][\w.-]{0,40})\/(\d+(?:\.\d+)?)/.exec(ua);
  return product ? { browser: `${product[1]} ${product[2]}`, os } : null;
}

export function userAgentName(intl: IntlService, ua: string | null | undefined): string {
  const d = describeUserAgent(ua);
  if (!d) return intl.t('names.userAgent.unknown');
  return d.os ? intl.t('names.userAgent.on', { browser: d.browser, os: d.os }) : d.browser;
}
