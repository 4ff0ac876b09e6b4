import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commonPasswords, isCommonPassword } from '../src/auth/common-passwords.js';
import { brokenRule, type PolicyContext } from '../src/auth/password-policy.js';

const std: PolicyContext = { profile: 'standard', email: 'erika.mustermann@sparkasse.example', tenantName: 'Sparkasse Musterstadt' };
const classic: PolicyContext = { ...std, profile: 'classic' };

describe('password policy (DESIGN §3)', () => {
  it('ships at least 100 000 common passwords and words, German ones among them', () => {
    assert.ok(commonPasswords().size >= 100_000, String(commonPasswords().size));
    for (const word of ['passwort', 'sparkasse', 'muenchen', 'schalke', 'mueller', 'geheimnis']) assert.ok(commonPasswords().has(word), word);
  });

  it('matches after normalisation: case, umlauts, digits and symbols at the ends, leetspeak', () => {
    for (const password of ['passwort1234', 'Passwort1234!', 'PASSWORT', 'P@ssw0rt2024', 'p4ssw0rt!!', '!!Schalke04', '2026Sparkasse', 'MÜNCHEN-2026', 'Muenchen2026', 'Müller#1', 'geheimnis 2026', '4dm1n2024', 'l3tm31n!', 'passw0rd1']) {
      assert.ok(isCommonPassword(password), `${password} is refused`);
    }
    // Not everything with a word in it: the whole core must be the word, and a core of fewer than
    // four letters is not a word match.
    for (const password of ['correct horse battery staple', 'Kaffeetasse#7', 'Gut4Klassik', 'x7#Tq9!mZ2@p', '1a!2b@3c#4d$5e', 'Sommerwiese2026!']) {
      assert.ok(!isCommonPassword(password), `${password} is accepted`);
    }
  });

  const cases: [string, PolicyContext, string | undefined][] = [
    ['correct horse battery staple', std, undefined],
    ['short-one', std, 'too_short'],
    ['x'.repeat(129), std, 'too_long'],
    ['123456789012', std, 'common'],
    ['passwort1234', std, 'common'],
    ['Sparkasse2026!', std, 'common'],
    ['P@ssw0rt2026!', classic, 'common'],
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
