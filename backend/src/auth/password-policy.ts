import { isCommonPassword } from './common-passwords.js';

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

const MESSAGES: Record<PolicyRule, (p: PolicyDescription) => string> = {
  too_short: (p) => `The password must have at least ${p.minLength} characters.`,
  too_long: (p) => `The password may have at most ${p.maxLength} characters.`,
  common: () => 'This password is on the list of commonly used passwords. Choose another one.',
  contains_email: () => 'The password must not contain your email name.',
  contains_tenant_name: () => "The password must not contain your bank's name.",
  needs_digit: () => 'The password needs at least one digit.',
  needs_lowercase: () => 'The password needs at least one lower-case letter.',
  needs_uppercase: () => 'The password needs at least one upper-case letter.',
};

/** Pure policy check (DESIGN §3). Returns the first rule broken, or undefined. */
export function brokenRule(password: string, ctx: PolicyContext): { rule: PolicyRule; message: string } | undefined {
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
  return broken ? { rule: broken[0], message: MESSAGES[broken[0]](policy) } : undefined;
}
