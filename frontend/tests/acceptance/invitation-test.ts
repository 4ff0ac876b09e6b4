import { module, test } from 'qunit';
import { visit, fillIn } from '@ember/test-helpers';
import { setupApplicationTest } from 'frontend/tests/helpers';
import { ApiError, fakeApi } from 'frontend/tests/helpers/fake-api';

const token = 'a'.repeat(43);
const classic = { profile: 'classic', minLength: 8, maxLength: 128, requiresDigit: true, requiresLowercase: true, requiresUppercase: true };

module('Acceptance | invitation', function (hooks) {
  setupApplicationTest(hooks);

  hooks.beforeEach(function () {
    this.owner.lookup('service:locale').setup(['en-US']);
  });

  test('a good link shows the form with every rule of the bank, starting neutral, the email and bank name included', async function (assert) {
    const calls: { method: string; path: string; body: unknown }[] = [];
    this.owner.register('service:api', fakeApi({
      'POST /auth/invitation/check': () => ({ email: 'ina.neu@bank.example', tenantName: 'Sparkasse Muster', passwordPolicy: classic }),
    }, calls));
    await visit(`/invitation/${token}`);
    assert.deepEqual(calls[0], { method: 'POST', path: '/auth/invitation/check', body: { token } }, 'the token goes in the body');
    assert.dom('[data-test-invitation-form]').exists();
    assert.dom('[data-test-invitation-invalid]').doesNotExist();
    for (const rule of ['minLength', 'maxLength', 'digit', 'lower', 'upper', 'noEmail', 'noTenantName', 'notCommon']) {
      assert.dom(`[data-test-hint="password.hint.${rule}"]`).hasAttribute('data-test-hint-state', 'info', `${rule} shown, neutral`);
    }
    assert.dom('[data-test-hint="password.hint.minLength"]').includesText('At least 8 characters');
    await fillIn('[data-test-new-password]', 'ina.neu Sparkasse Muster 1');
    assert.dom('[data-test-hint="password.hint.noEmail"]').hasAttribute('data-test-hint-state', 'unmet');
    assert.dom('[data-test-hint="password.hint.noTenantName"]').hasAttribute('data-test-hint-state', 'unmet');
  });

  test('a used, expired or malformed link says so at once, without a form', async function (assert) {
    let answer: ApiError = new ApiError(400, 'invalid_token', 'This link is not valid any more.', 'token');
    this.owner.register('service:api', fakeApi({
      'POST /auth/invitation/check': () => {
        throw answer;
      },
    }));
    await visit(`/invitation/${token}`);
    assert.dom('[data-test-invitation-invalid]').hasText('This link is not valid any more. Ask your administrator for a new one.');
    assert.dom('[data-test-invitation-form]').doesNotExist();
    answer = new ApiError(400, 'invalid_input', 'is not a link from Kontor', 'token');
    await visit('/invitation/abc');
    assert.dom('[data-test-invitation-invalid]').hasText('This link is not valid any more. Ask your administrator for a new one.');
    answer = new ApiError(0, 'network_error', 'The server cannot be reached.');
    await visit(`/invitation/${token}x`);
    assert.dom('[data-test-invitation-invalid]').doesNotIncludeText('not valid', 'a link that could not be checked is not called invalid');
  });
});
