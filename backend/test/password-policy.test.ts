import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commonPasswords } from '../src/auth/common-passwords.js';
import { brokenRule, type PolicyContext } from '../src/auth/password-policy.js';

const std: PolicyContext = { profile: 'standard', email: 'erika.mustermann@sparkasse.example', tenantName: 'Sparkasse Musterstadt' };
const classic: PolicyContext = { ...std, profile: 'classic' };

describe('password policy (DESIGN §3)', () => {
  it('ships at least 10 000 common passwords', () => {
    assert.ok(commonPasswords().size >= 10_000, String(commonPasswords().size));
  });

  const cases: [string, PolicyContext, string | undefined][] = [
    ['correct horse battery staple', std, undefined],
    ['short-one', std, 'too_short'],
    ['x'.repeat(129), std, 'too_long'],
    ['123456789012', std, 'common'],
    ['PASSWORD1234', std, 'common'],
    ['qwerasdfzxcv', std, 'common'],
    ['erika.mustermann-secret', std, 'contains_email'],
    ['my sparkasse musterstadt pw', std, 'contains_tenant_name'],
    ['nodigitsHere', classic, 'needs_digit'],
    ['NOLOWER123', classic, 'needs_lowercase'],
    ['noupper123', classic, 'needs_uppercase'],
    ['Gut4Klassik', classic, undefined],
    ['Gut4Klassik', std, 'too_short'],
  ];
  for (const [password, ctx, expected] of cases) {
    it(`${ctx.profile}: ${password.slice(0, 24)} → ${expected ?? 'accepted'}`, () => {
      assert.equal(brokenRule(password, ctx)?.rule, expected);
    });
  }

  it('states the broken rule in words', () => {
    assert.match(brokenRule('kurz', std)!.message, /at least 12 characters/);
  });
});
