import { module, test } from 'qunit';
import { visit, currentURL, click, settled } from '@ember/test-helpers';
import { setupApplicationTest } from 'frontend/tests/helpers';
import ApiService, { ApiError } from 'frontend/services/api';

class UnreachableApi extends ApiService {
  override async request<T>(): Promise<T> {
    throw new ApiError(0, 'network_error', 'unreachable');
  }
}

module('Acceptance | login', function (hooks) {
  setupApplicationTest(hooks);

  hooks.beforeEach(function () {
    this.owner.register('service:api', UnreachableApi);
  });

  test('the root redirects to the sign-in page inside the Kontor frame', async function (assert) {
    await visit('/');
    assert.strictEqual(currentURL(), '/login');
    assert.dom('[data-test-brand]').hasText('Kontor');
    assert.dom('nav.navbar').exists();
    assert.dom('label[for="login-email"]').exists('the email field is labelled');
  });

  test('switches between German and English', async function (assert) {
    await visit('/login');
    this.owner.lookup('service:locale').use('de-de');
    await settled();
    assert.dom('h1').hasText('Anmelden');
    await click('[data-test-locale-toggle]');
    assert.dom('h1').hasText('Sign in');
    assert.true(document.documentElement.lang.startsWith('en'), 'html lang follows the locale');
    await click('[data-test-locale-toggle]');
    assert.dom('h1').hasText('Anmelden');
  });

  test('says clearly when the server cannot be reached', async function (assert) {
    await visit('/login');
    await settled();
    assert.dom('[data-test-health="unreachable"]').exists();
    assert.dom('[data-test-health]').hasClass('alert-danger');
  });
});
