import { holds, isVendorOnly } from '../tenancy/rights.js';

export type MfaSetting = 'none' | 'admins' | 'all';

/** Administrators in a bank: those who manage its users or its settings. */
function isAdmin(rights: ReadonlySet<string>): boolean {
  return holds(rights, 'users', 'write') || holds(rights, 'settings', 'write');
}

/**
 * Whether this person must have passed a second factor here: vendor staff always (their rights
 * reach many banks), bank staff as their bank's setting says (its admins, or everyone).
 */
export function mfaRequiredFor(setting: string, rights: ReadonlySet<string>, inVendorTenant: boolean): boolean {
  if (inVendorTenant && [...rights].some((r) => isVendorOnly(r.split(':')[0]!))) return true;
  if (setting === 'all') return true;
  return setting === 'admins' && isAdmin(rights);
}

/**
 * Whether this person must sign in with a phishing-resistant factor (a passkey) here: with the
 * bank's `passkey_required` on, its administrators; with the vendor tenant's on, or the platform's
 * rule (config VENDOR_PASSKEY_REQUIRED, which no API call switches off), vendor staff. Until such a sign-in, a session reaches only the enrolment routes.
 */
export function passkeyRequiredFor(required: boolean, rights: ReadonlySet<string>, inVendorTenant: boolean, platformRequired = false): boolean {
  if (!required && !(inVendorTenant && platformRequired)) return false;
  if (inVendorTenant) return [...rights].some((r) => isVendorOnly(r.split(':')[0]!));
  return isAdmin(rights);
}
