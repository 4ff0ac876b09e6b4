import { module, test } from 'qunit';
import Service from '@ember/service';
import { visit, click, fillIn, triggerEvent, settled } from '@ember/test-helpers';
import { setupApplicationTest } from 'frontend/tests/helpers';
import { fakeApi, ApiError } from 'frontend/tests/helpers/fake-api';

/**
 * Refused sign-ins say why in the user's language, never as a code: the OIDC start and callback
 * land on /login?directoryError=<code>[&directoryReason=<reason>]; LDAP and passkey sign-ins
 * refused by the shared throttle (our JSON 429) or by nginx in front (its own 429 page).
 */
module('Acceptance | sign-in refusals', function (hooks) {
  setupApplicationTest(hooks);

  hooks.beforeEach(function () {
    this.owner.lookup('service:locale').setup(['en-US']);
  });

  test('a throttled OIDC start: translated, and in German after a switch', async function (assert) {
    this.owner.register('service:api', fakeApi({}));
    await visit('/login?directoryError=too_many_requests');
    assert.dom('[data-test-form-error]').hasText('Too many attempts. Please wait a few minutes and try again.');
    this.owner.lookup('service:locale').use('de-de');
    await settled();
    assert.dom('[data-test-form-error]').doesNotIncludeText('too_many_requests');
    assert.dom('[data-test-form-error]').includesText('Zu viele');
  });

  test('a refusal with a reason uses the reason\'s own text', async function (assert) {
    this.owner.register('service:api', fakeApi({}));
    await visit('/login?directoryError=not_found&directoryReason=directory_sign_in');
    assert.dom('[data-test-form-error]').hasText('This bank has no directory sign-in.');
  });

  test('a malformed link (a field to correct, but there is none): the general sentence, no placeholder', async function (assert) {
    this.owner.register('service:api', fakeApi({}));
    await visit('/login?directoryError=invalid_input&directoryReason=invalid_format');
    assert.dom('[data-test-form-error]').includesText('The sign-in through your bank did not work');
    await visit('/login?directoryError=invalid_text');
    assert.dom('[data-test-form-error]').doesNotIncludeText('{field}');
  });

  test('LDAP sign-in throttled by the server or by nginx: the throttle sentence, not a code or "Too Many Requests"', async function (assert) {
    let byNginx = false;
    this.owner.register('service:api', fakeApi({
      'GET /auth/directory': () => ({ directory: { tenantId: 't-1', bankName: 'Sparkasse Muster', method: 'ldap', required: true } }),
      'POST /auth/login/directory': () => {
        throw byNginx ? ApiError.from(429, undefined, 'Too Many Requests') : new ApiError(429, 'too_many_requests', 'Too many attempts. Please wait and try again.');
      },
    }));
    await visit('/login');
    await fillIn('#login-email', 'erika@sparkasse.example');
    await triggerEvent('#login-email', 'change');
    await fillIn('#login-password', 'directory secret');
    await click('[data-test-directory-ldap]');
    assert.dom('[data-test-form-error]').hasText('Too many attempts from your connection. Please wait a few minutes.');
    byNginx = true;
    await fillIn('#login-password', 'directory secret');
    await click('[data-test-directory-ldap]');
    assert.dom('[data-test-form-error]').hasText('Too many attempts from your connection. Please wait a few minutes.');
  });

  test('passkey sign-in throttled (server, then nginx): the throttle sentence', async function (assert) {
    let byNginx = false;
    this.owner.register('service:webauthn', class extends Service {
      supported = true;
    });
    this.owner.register('service:api', fakeApi({
      'POST /auth/login/passkey/options': () => {
        throw byNginx ? ApiError.from(429, undefined, 'Too Many Requests') : new ApiError(429, 'too_many_requests', 'Too many attempts. Please wait and try again.');
      },
    }));
    await visit('/login');
    await click('[data-test-passkey-login]');
    assert.dom('[data-test-form-error]').hasText('Too many attempts from your connection. Please wait a few minutes.');
    byNginx = true;
    await click('[data-test-passkey-login]');
    assert.dom('[data-test-form-error]').hasText('Too many attempts from your connection. Please wait a few minutes.');
  });
});
