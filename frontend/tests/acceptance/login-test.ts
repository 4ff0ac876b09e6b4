import { module, test } from 'qunit';
import { visit, currentURL, click, fillIn, settled } from '@ember/test-helpers';
import { setupApplicationTest } from 'frontend/tests/helpers';
import { fakeApi, sessionInfo, ApiError } from 'frontend/tests/helpers/fake-api';

module('Acceptance | login', function (hooks) {
  setupApplicationTest(hooks);

  hooks.beforeEach(function () {
    this.owner.lookup('service:locale').setup(['en-US']);
  });

  test('an anonymous visitor lands on sign-in inside the Kontor frame', async function (assert) {
    this.owner.register('service:api', fakeApi({}));
    await visit('/');
    assert.strictEqual(currentURL(), '/login');
    assert.dom('[data-test-brand]').hasText('Kontor');
    assert.dom('label[for="login-email"]').exists('the email field is labelled');
    assert.dom('[data-test-sign-out]').doesNotExist();
  });

  test('switches between German and English', async function (assert) {
    this.owner.register('service:api', fakeApi({}));
    await visit('/login');
    this.owner.lookup('service:locale').use('de-de');
    await settled();
    assert.dom('h1').hasText('Anmelden');
    await click('[data-test-locale-toggle]');
    assert.dom('h1').hasText('Sign in');
    assert.true(document.documentElement.lang.startsWith('en'), 'html lang follows the locale');
  });

  test('with a second factor: password, then the code from the app (or a recovery code)', async function (assert) {
    const calls: { method: string; path: string; body: unknown }[] = [];
    let wrongOnce = true;
    this.owner.register('service:api', fakeApi({
      'POST /auth/login': () => ({ secondFactorRequired: true }),
      'POST /auth/login/second-factor': () => {
        if (wrongOnce) {
          wrongOnce = false;
          throw new ApiError(401, 'invalid_code', 'x');
        }
        return { ...sessionInfo({ mfa: { enrolled: true, verified: true, required: true } }), previousLogin: null };
      },
      'GET /auth/session': () => sessionInfo(),
    }, calls));
    await visit('/login');
    await fillIn('#login-email', 'erika@bank.example');
    await fillIn('#login-password', 'the right one');
    await click('[data-test-login-submit]');
    assert.dom('[data-test-second-factor-form]').exists('no session yet: the code is asked for');
    await fillIn('#login-code', '000 000');
    await click('[data-test-code-submit]');
    assert.dom('[data-test-form-error]').includesText('lock the account');
    await click('[data-test-toggle-recovery]');
    await fillIn('#login-recovery', 'ABCDEF-GHJKLM-NPQRST-UVWXYZ');
    await click('[data-test-code-submit]');
    assert.strictEqual(currentURL(), '/');
    const steps = calls.filter((c) => c.path === '/auth/login/second-factor').map((c) => c.body);
    assert.deepEqual(steps, [{ code: '000000' }, { recoveryCode: 'ABCDEF-GHJKLM-NPQRST-UVWXYZ' }]);
  });

  test('a user whose bank requires a second factor is taken to set it up first', async function (assert) {
    this.owner.register('service:api', fakeApi({
      'POST /auth/login': () => ({ ...sessionInfo({ mfa: { enrolled: false, verified: false, required: true } }), previousLogin: null }),
      'GET /auth/session': () => sessionInfo({ mfa: { enrolled: false, verified: false, required: true } }),
      'GET /auth/totp': () => ({ enrolled: false, recoveryCodesLeft: 0 }),
      'POST /auth/totp/enrol': () => ({ secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', uri: 'otpauth://totp/x', qr: 'data:image/svg+xml;base64,PHN2Zy8+' }),
      'POST /auth/totp/confirm': () => ({ recoveryCodes: Array.from({ length: 10 }, (_, i) => `CODE${i}-AAAAAA-BBBBBB-CCCCCC`) }),
    }));
    await visit('/login');
    await fillIn('#login-email', 'erika@bank.example');
    await fillIn('#login-password', 'the right one');
    await click('[data-test-login-submit]');
    assert.strictEqual(currentURL(), '/security');
    assert.dom('[data-test-mfa-required]').exists();
    await click('[data-test-totp-start]');
    assert.dom('[data-test-qr]').hasAttribute('src', /^data:image\/svg\+xml/);
    assert.dom('[data-test-secret]').hasText('JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP');
    await fillIn('[data-test-totp-code]', '123456');
    await click('[data-test-totp-confirm]');
    assert.dom('[data-test-recovery-code]').exists({ count: 10 });
  });

  test('an admin whose bank requires a passkey is taken to register one first', async function (assert) {
    const mfa = { enrolled: true, verified: true, required: true, passkeyEnrolled: false, phishingResistant: false, passkeyRequired: true };
    this.owner.register('service:api', fakeApi({
      'POST /auth/login': () => ({ ...sessionInfo({ mfa }), previousLogin: null }),
      'GET /auth/session': () => sessionInfo({ mfa }),
      'GET /auth/totp': () => ({ enrolled: true, recoveryCodesLeft: 10 }),
      'GET /auth/passkeys': () => [],
    }));
    await visit('/login');
    await fillIn('#login-email', 'erika@bank.example');
    await fillIn('#login-password', 'the right one');
    await click('[data-test-login-submit]');
    assert.strictEqual(currentURL(), '/security');
    assert.dom('[data-test-passkey-required]').hasText(/requires a passkey/);
  });

  test('a refused sign-in explains what to do', async function (assert) {
    this.owner.register('service:api', fakeApi({
      'POST /auth/login': () => { throw new ApiError(401, 'invalid_credentials', 'x'); },
    }));
    await visit('/login');
    await fillIn('#login-email', 'erika@bank.example');
    await fillIn('#login-password', 'wrong');
    await click('[data-test-login-submit]');
    assert.dom('[data-test-form-error]').includesText('Forgot password');
    assert.strictEqual(currentURL(), '/login');
  });

  test('signing in shows the previous login and the failures since; sign-out returns to sign-in', async function (assert) {
    const calls: { method: string; path: string; body: unknown }[] = [];
    this.owner.register('service:api', fakeApi({
      'POST /auth/login': () => ({ ...sessionInfo(), previousLogin: { at: '2026-11-20T08:15:00Z', ip: '10.1.2.3', failuresSince: 2 } }),
      'GET /auth/session': () => sessionInfo(),
      'POST /auth/logout': () => undefined,
    }, calls));
    await visit('/login');
    await fillIn('#login-email', 'erika@bank.example');
    await fillIn('#login-password', 'the right one');
    await click('[data-test-login-submit]');
    assert.strictEqual(currentURL(), '/');
    assert.dom('[data-test-home-title]').hasText('Welcome, Erika Muster');
    assert.dom('[data-test-previous-login]').includesText('10.1.2.3');
    assert.dom('[data-test-previous-login]').includesText('2 failed attempts');
    assert.dom('[data-test-previous-login]').hasClass('alert-warning');
    await click('[data-test-sign-out]');
    assert.strictEqual(currentURL(), '/login');
    assert.dom('[data-test-login-notice]').hasText('You have signed out.');
    assert.true(calls.some((c) => c.path === '/auth/logout'));
  });

  test('a pending password change keeps the user on the change form until it is done', async function (assert) {
    let mustChange = true;
    this.owner.register('service:api', fakeApi({
      'POST /auth/login': () => ({ ...sessionInfo({ mustChangePassword: mustChange }), previousLogin: null }),
      'GET /auth/session': () => sessionInfo({ mustChangePassword: mustChange }),
      'POST /auth/password': (body: { newPassword: string }) => {
        if (body.newPassword.length < 12) throw new ApiError(400, 'weak_password', 'x', 'newPassword', 'too_short', { field: 'newPassword', min: 12 });
        mustChange = false;
      },
    }));
    await visit('/login');
    await fillIn('#login-email', 'erika@bank.example');
    await fillIn('#login-password', 'initial');
    await click('[data-test-login-submit]');
    assert.strictEqual(currentURL(), '/password');
    assert.dom('[data-test-must-change]').exists();
    await visit('/sessions');
    assert.strictEqual(currentURL(), '/password', 'other pages stay closed');

    await fillIn('[data-test-current-password]', 'initial');
    await fillIn('[data-test-new-password]', 'short');
    assert.dom('[data-test-hint="password.hint.minLength"]').hasAttribute('data-test-hint-state', 'unmet');
    await fillIn('[data-test-confirm-password]', 'short');
    await click('[data-test-password-submit]');
    assert.dom('[data-test-form-error]').hasText('The password must have at least 12 characters.');

    await fillIn('[data-test-new-password]', 'a long enough passphrase');
    assert.dom('[data-test-hint="password.hint.minLength"]').hasAttribute('data-test-hint-state', 'met');
    await fillIn('[data-test-confirm-password]', 'a long enough passphrase');
    await click('[data-test-password-submit]');
    assert.strictEqual(currentURL(), '/');
  });

  test('forgot password: request a code, then set a new password with it', async function (assert) {
    const calls: { method: string; path: string; body: unknown }[] = [];
    this.owner.register('service:api', fakeApi({
      'POST /auth/recovery': () => undefined,
      'POST /auth/recovery/confirm': (body: { code: string }) => {
        if (body.code !== '12345678') throw new ApiError(400, 'invalid_code', 'x', 'code');
      },
    }, calls));
    await visit('/login');
    await click('[data-test-forgot]');
    assert.strictEqual(currentURL(), '/recovery');
    await fillIn('#recovery-email', 'erika@bank.example');
    await click('[data-test-recovery-send]');
    assert.dom('[data-test-code-sent]').exists();
    await fillIn('[data-test-recovery-code]', '00000000');
    await fillIn('[data-test-new-password]', 'brand new passphrase');
    await fillIn('[data-test-confirm-password]', 'brand new passphrase');
    await click('[data-test-recovery-submit]');
    assert.dom('[data-test-form-error]').includesText('request a new code');
    await fillIn('[data-test-recovery-code]', '12345678');
    await click('[data-test-recovery-submit]');
    assert.strictEqual(currentURL(), '/login');
    assert.dom('[data-test-login-notice]').includesText('unlocked');
  });

  test('says clearly when the server cannot be reached', async function (assert) {
    this.owner.register('service:api', fakeApi({ 'GET /health': () => { throw new ApiError(0, 'network_error', 'x'); } }));
    await visit('/login');
    assert.dom('[data-test-health="unreachable"]').hasClass('alert-danger');
  });
});
