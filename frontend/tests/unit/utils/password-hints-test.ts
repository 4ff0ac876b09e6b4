import { module, test } from 'qunit';
import { passwordHints, DEFAULT_POLICY } from 'frontend/utils/password-hints';

module('Unit | Utility | password-hints', function () {
  test('standard profile: length and email name, common list left to the server', function (assert) {
    const hints = passwordHints('erika-and-more', DEFAULT_POLICY, 'erika@bank.example');
    assert.deepEqual(hints.map((h) => [h.key, h.met]), [
      ['password.hint.minLength', true],
      ['password.hint.maxLength', true],
      ['password.hint.noEmail', false],
      ['password.hint.notCommon', null],
    ]);
  });

  test('every rule the server enforces is shown: the longest length, and on a change that it differs from the current one', function (assert) {
    const policy = { ...DEFAULT_POLICY, maxLength: 20 };
    assert.deepEqual(passwordHints('x'.repeat(21), policy, 'erika@bank.example').find((h) => h.key === 'password.hint.maxLength'), { key: 'password.hint.maxLength', count: 20, met: false });
    assert.false(passwordHints('abc', policy, 'e@b.c').some((h) => h.key === 'password.hint.notCurrent'), 'not where there is no current password');
    assert.strictEqual(passwordHints('abc', policy, 'e@b.c', '', true).find((h) => h.key === 'password.hint.notCurrent')?.met, null, 'checked by the server on save');
  });

  test('flags the bank name while typing', function (assert) {
    const hint = passwordHints('mein Kontor 2026 pass', DEFAULT_POLICY, 'x@y.z', 'Kontor').find((h) => h.key === 'password.hint.noTenantName');
    assert.false(hint!.met);
  });

  test('classic profile adds digit, lower and upper case', function (assert) {
    const classic = { ...DEFAULT_POLICY, profile: 'classic' as const, minLength: 8, requiresDigit: true, requiresLowercase: true, requiresUppercase: true };
    const hints = passwordHints('Abcdefg1', classic, 'x@y.z');
    assert.deepEqual(hints.filter((h) => h.met !== null).map((h) => h.met), [true, true, true, true, true]);
    assert.false(passwordHints('abcdefgh', classic, 'x@y.z').find((h) => h.key === 'password.hint.upper')!.met);
  });

  test('nothing typed yet: every rule is neutral, none is shown as failed', function (assert) {
    const hints = passwordHints('', DEFAULT_POLICY, 'erika@bank.example', 'Sparkasse Muster');
    assert.deepEqual(hints.map((h) => h.met), hints.map(() => null));
    assert.false(passwordHints('x', DEFAULT_POLICY, 'erika@bank.example').find((h) => h.key === 'password.hint.minLength')!.met, 'typing starts the checks');
  });
});
