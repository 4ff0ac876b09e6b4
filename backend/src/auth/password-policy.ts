import { isCommonPassword } from './common-passwords.js';
import { fail } from '../http/error-catalogue.js';
import type { HttpError } from '../http/errors.js';

export const MAX_PASSWORD_LENGTH = 128;

export type PasswordProfile = 'standard' | 'classic';

export interface PolicyContext {
  profile: PasswordProfile;
  email: string;
  tenantName: string;
}

export type PolicyRule =
  | 'too_short'
  | 'too_long'
  | 'common'
  | 'contains_email'
  | 'contains_tenant_name'
  | 'needs_digit'
  | 'needs_lowercase'
  | 'needs_uppercase';

export interface PolicyDescription {
  profile: PasswordProfile;
  minLength: number;
  maxLength: number;
  requiresDigit: boolean;
  requiresLowercase: boolean;
  requiresUppercase: boolean;
}

export function describePolicy(profile: PasswordProfile): PolicyDescription {
  const classic = profile === 'classic';
  return {
    profile,
    minLength: classic ? 8 : 12,
    maxLength: MAX_PASSWORD_LENGTH,
    requiresDigit: classic,
    requiresLowercase: classic,
    requiresUppercase: classic,
  };
}

/** The refusal for a broken rule; its sentence lives in the error catalogue (`weak_password`). */
export function weakPassword(rule: PolicyRule | 'not_new', p: PolicyDescription): HttpError {
  const field = 'newPassword';
  if (rule === 'too_short') return fail('weak_password', { reason: rule, field, min: p.minLength });
  if (rule === 'too_long') return fail('weak_password', { reason: rule, field, max: p.maxLength });
  return fail('weak_password', { reason: rule, field });
}

/** Pure policy check (DESIGN §3). Returns the first rule broken, or undefined. */
export function brokenRule(password: string, ctx: PolicyContext): { rule: PolicyRule; message: string; error: HttpError } | undefined {
  const policy = describePolicy(ctx.profile);
  const lower = password.toLowerCase();
  const localPart = ctx.email.split('@')[0]?.toLowerCase() ?? '';
  const tenant = ctx.tenantName.toLowerCase();
  const checks: [PolicyRule, boolean][] = [
    ['too_long', [...password].length > policy.maxLength],
    ['too_short', [...password].length < policy.minLength],
    ['needs_digit', policy.requiresDigit && !/\p{Nd}/u.test(password)],
    ['needs_lowercase', policy.requiresLowercase && !/\p{Ll}/u.test(password)],
    ['needs_uppercase', policy.requiresUppercase && !/\p{Lu}/u.test(password)],
    ['common', isCommonPassword(password)],
    // Very short local parts ("a@…") would forbid too much; three characters carry meaning.
    ['contains_email', localPart.length >= 3 && lower.includes(localPart)],
    ['contains_tenant_name', tenant.length >= 3 && lower.includes(tenant)],
  ];
  const broken = checks.find(([, failed]) => failed);
  if (!broken) return undefined;
  const error = weakPassword(broken[0], policy);
  return { rule: broken[0], message: error.message, error };
}
