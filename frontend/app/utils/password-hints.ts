import type { PasswordPolicy } from 'frontend/services/session';

export interface Hint {
  key: string;
  count?: number;
  met: boolean | null;
}

/** Live hints for the rules the browser can check; the common-password list is checked by the server. */
export function passwordHints(password: string, policy: PasswordPolicy, email: string, tenantName = '', changing = false): Hint[] {
  const local = email.split('@')[0]?.toLowerCase() ?? '';
  const length = [...password].length;
  const hints: Hint[] = [
    { key: 'password.hint.minLength', count: policy.minLength, met: length >= policy.minLength },
    { key: 'password.hint.maxLength', count: policy.maxLength, met: length <= policy.maxLength },
  ];
  if (policy.requiresDigit) hints.push({ key: 'password.hint.digit', met: /\p{Nd}/u.test(password) });
  if (policy.requiresLowercase) hints.push({ key: 'password.hint.lower', met: /\p{Ll}/u.test(password) });
  if (policy.requiresUppercase) hints.push({ key: 'password.hint.upper', met: /\p{Lu}/u.test(password) });
  if (local.length >= 3) hints.push({ key: 'password.hint.noEmail', met: password.length > 0 && !password.toLowerCase().includes(local) });
  const tenant = tenantName.toLowerCase();
  if (tenant.length >= 3) hints.push({ key: 'password.hint.noTenantName', met: password.length > 0 && !password.toLowerCase().includes(tenant) });
  hints.push({ key: 'password.hint.notCommon', met: null });
  // The server compares with the current password's hash; the browser cannot.
  if (changing) hints.push({ key: 'password.hint.notCurrent', met: null });
  // Nothing typed yet is not a failure: the rules start neutral.
  return password === '' ? hints.map((h) => ({ ...h, met: null })) : hints;
}

export const DEFAULT_POLICY: PasswordPolicy = {
  profile: 'standard', minLength: 12, maxLength: 128, requiresDigit: false, requiresLowercase: false, requiresUppercase: false,
};
