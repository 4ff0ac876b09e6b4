import { module, test } from 'qunit';
import { visit, currentURL, click } from '@ember/test-helpers';
import { setupApplicationTest } from 'frontend/tests/helpers';
import { fakeApi, sessionInfo } from 'frontend/tests/helpers/fake-api';

module('Acceptance | frame', function (hooks) {
  setupApplicationTest(hooks);

  hooks.beforeEach(function () {
    this.owner.lookup('service:locale').setup(['en-US']);
  });

  test('an unknown address shows a 404 page with a way home', async function (assert) {
    this.owner.register('service:api', fakeApi({ 'GET /auth/session': () => sessionInfo() }));
    await visit('/no/such/page');
    assert.strictEqual(currentURL(), '/no/such/page', 'the address stays as typed');
    assert.dom('[data-test-not-found]').hasText('Page not found');
    await click('[data-test-not-found-home]');
    assert.strictEqual(currentURL(), '/');
    assert.dom('[data-test-home-title]').exists();
  });

  test('a page the user may not open says so on the overview instead of redirecting silently', async function (assert) {
    this.owner.register('service:api', fakeApi({ 'GET /auth/session': () => sessionInfo({ permissions: ['containers:read'] }), 'GET /auth/sessions': () => [] }));
    await visit('/admin/users');
    assert.strictEqual(currentURL(), '/');
    assert.dom('[data-test-denied]').hasText('You do not have the right to open that page, so you are back on the overview.');
    await click('[data-test-account-menu] [data-test-dropdown-toggle]');
    await click('[data-test-nav-sessions]');
    assert.dom('[data-test-denied]').doesNotExist();
  });

  test('account menu: user and bank, own pages, language and sign-out in one place; the phone menu toggles', async function (assert) {
    this.owner.register('service:api', fakeApi({ 'GET /auth/session': () => sessionInfo(), 'POST /auth/logout': () => undefined }));
    await visit('/');
    assert.dom('[data-test-account-menu] [data-test-dropdown-toggle]').hasText('Erika Muster · Sparkasse Muster').hasAttribute('aria-expanded', 'false');
    assert.dom('[data-test-account-menu] [data-test-dropdown-menu]').doesNotHaveClass('show');
    await click('[data-test-account-menu] [data-test-dropdown-toggle]');
    assert.dom('[data-test-account-menu] [data-test-dropdown-menu]').hasClass('show');
    assert.dom('[data-test-signed-in-as]').includesText('Bank: Sparkasse Muster');
    await click('[data-test-locale-toggle]');
    assert.dom('[data-test-nav-sessions]').hasText('Meine Sitzungen', 'the language changes from the menu');
    await click('[data-test-brand]');
    assert.dom('[data-test-account-menu] [data-test-dropdown-menu]').doesNotHaveClass('show', 'a click outside closes the menu');

    assert.dom('#main-menu').doesNotHaveClass('show');
    await click('[data-test-menu-toggle]');
    assert.dom('#main-menu').hasClass('show');
    assert.dom('[data-test-menu-toggle]').hasAttribute('aria-expanded', 'true');
    await click('[data-test-account-menu] [data-test-dropdown-toggle]');
    await click('[data-test-sign-out]');
    assert.strictEqual(currentURL(), '/login');
  });

  test('a session the server ended says why on the login page, where the server said why', async function (assert) {
    this.owner.register('service:api', fakeApi({ 'GET /auth/session': () => sessionInfo() }));
    await visit('/');
    const session = this.owner.lookup('service:session');
    session.handleUnauthenticated('session_expired');
    await visit('/login');
    assert.dom('[data-test-login-notice]').includesText('its time ran out, or it was ended elsewhere');

    await visit('/');
    session.handleUnauthenticated('a_reason_without_text');
    await visit('/login');
    assert.dom('[data-test-login-notice]').hasText('Your session has ended. Please sign in again.', 'an unknown reason gets the general text');
  });
});
