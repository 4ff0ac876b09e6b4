import { module, test } from 'qunit';
import { visit, currentURL, click } from '@ember/test-helpers';
import { setupApplicationTest } from 'frontend/tests/helpers';
import { ApiError, fakeApi, sessionInfo } from 'frontend/tests/helpers/fake-api';

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

  test('each reason the server gives for an ended session has its own sentence, in both languages', async function (assert) {
    this.owner.register('service:api', fakeApi({ 'GET /auth/session': () => sessionInfo() }));
    const session = this.owner.lookup('service:session');
    const cases: [string, string, string][] = [
      ['ended_by_admin', 'An administrator ended your session.', 'Eine Administratorin oder ein Administrator hat Ihre Sitzung beendet.'],
      ['idle', 'You were away for 30 minutes, so your session was ended. Please sign in again.', 'Sie waren 30 Minuten lang nicht aktiv'],
      ['absolute', 'longest allowed duration', 'längste Dauer'],
      ['signed_out', 'This session was signed out', 'Diese Sitzung wurde abgemeldet'],
      ['password_changed', 'Your password was changed', 'Ihr Passwort wurde geändert'],
      ['rights_changed', 'Your rights were changed', 'Ihre Rechte wurden geändert'],
      ['account_disabled', 'Your account has been disabled', 'Ihr Zugang wurde gesperrt'],
      ['access_ended', 'time-limited access to this bank has ended', 'befristeter Zugang'],
      ['unknown', 'Your session has ended. Please sign in again.', 'Ihre Sitzung ist beendet.'],
    ];
    for (const [reason, english, german] of cases) {
      this.owner.lookup('service:locale').setup(['en-US']);
      await visit('/');
      session.handleUnauthenticated('session_expired', reason);
      await visit('/login');
      assert.dom('[data-test-login-notice]').includesText(english, reason);
      this.owner.lookup('service:locale').setup(['de-DE']);
      await visit('/login');
      assert.dom('[data-test-login-notice]').includesText(german, `${reason} (de)`);
    }
  });

  test('coming back (a reload) to a session the server ended says why; no session at all says nothing', async function (assert) {
    let reason: string | undefined = 'ended_by_admin';
    this.owner.register('service:api', fakeApi({
      'GET /auth/session': () => {
        throw new ApiError(401, 'session_expired', 'Your session has ended.', undefined, reason);
      },
    }));
    await visit('/');
    assert.strictEqual(currentURL(), '/login');
    assert.dom('[data-test-login-notice]').hasText('An administrator ended your session.');
    this.owner.lookup('service:session').notice = null;
    reason = 'idle';
    await visit('/');
    assert.dom('[data-test-login-notice]').hasText('You were away too long, so your session was ended. Please sign in again.', 'the idle limit is not known after a reload');
    this.owner.lookup('service:session').notice = null;
    reason = undefined;
    await visit('/containers');
    assert.strictEqual(currentURL(), '/login');
    assert.dom('[data-test-login-notice]').doesNotExist();
  });
});
