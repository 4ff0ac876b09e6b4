import { module, test } from 'qunit';
import Service from '@ember/service';
import { visit, currentURL, click, fillIn, triggerEvent, settled } from '@ember/test-helpers';
import { setupApplicationTest } from 'frontend/tests/helpers';
import { fakeApi, sessionInfo, ApiError } from 'frontend/tests/helpers/fake-api';

type Call = { method: string; path: string; body: unknown };

/** Stands in for the browser's authenticator (tests have none); records what it was asked. */
function fakeWebauthn(answer: () => unknown, seen: unknown[] = []) {
  return class extends Service {
    supported = true;
    // eslint-disable-next-line @typescript-eslint/require-await -- a throwing answer must become a rejected promise
    async authenticate(options: unknown) {
      seen.push(options);
      return answer();
    }
  };
}

async function typeEmail(email: string) {
  await fillIn('#login-email', email);
  await triggerEvent('#login-email', 'change');
}

module('Acceptance | directory and passkey sign-in', function (hooks) {
  setupApplicationTest(hooks);

  hooks.beforeEach(function () {
    this.owner.lookup('service:locale').setup(['en-US']);
  });

  test('an address of an OIDC bank is offered its provider; other addresses keep the password form only', async function (assert) {
    const calls: Call[] = [];
    this.owner.register('service:api', fakeApi({
      'GET /auth/directory?email=erika%40sparkasse.example': () => ({ directory: { tenantId: 't-1', bankName: 'Sparkasse Muster', method: 'oidc', required: false } }),
      'GET /auth/directory?email=max%40elsewhere.example': () => ({ directory: null }),
    }, calls));
    await visit('/login');
    await typeEmail('erika@sparkasse.example');
    assert.dom('[data-test-directory-oidc]').hasText('Sign in with your Sparkasse Muster account');
    assert.dom('[data-test-directory-oidc]').hasAttribute('href', '/api/auth/oidc/start?tenant=t-1', 'a plain navigation to the start URL');
    assert.dom('#login-password').exists('not required: the password stays');
    await typeEmail('max@elsewhere.example');
    assert.dom('[data-test-directory-oidc]').doesNotExist();
    await fillIn('#login-email', 'not-an-address');
    await triggerEvent('#login-email', 'change');
    assert.deepEqual(calls.filter((c) => c.path.startsWith('/auth/directory')).map((c) => c.path), ['/auth/directory?email=erika%40sparkasse.example', '/auth/directory?email=max%40elsewhere.example'], 'only complete addresses are asked about');
  });

  test('a bank that requires its OIDC directory: no password field at all', async function (assert) {
    this.owner.register('service:api', fakeApi({
      'GET /auth/directory': () => ({ directory: { tenantId: 't-1', bankName: 'Sparkasse Muster', method: 'oidc', required: true } }),
    }));
    await visit('/login');
    await typeEmail('erika@sparkasse.example');
    assert.dom('[data-test-directory-oidc]').exists();
    assert.dom('#login-password').doesNotExist();
    assert.dom('[data-test-login-submit]').doesNotExist();
  });

  test('LDAP: the password goes to /auth/login/directory, then the second factor', async function (assert) {
    const calls: Call[] = [];
    this.owner.register('service:api', fakeApi({
      'GET /auth/directory': () => ({ directory: { tenantId: 't-1', bankName: 'Sparkasse Muster', method: 'ldap', required: true } }),
      'POST /auth/login/directory': (body: { password: string }) => {
        if (body.password !== 'directory secret') throw new ApiError(401, 'invalid_credentials', 'x');
        return { secondFactorRequired: true };
      },
      'POST /auth/login/second-factor': () => ({ ...sessionInfo(), previousLogin: null }),
      'GET /auth/session': () => sessionInfo(),
    }, calls));
    await visit('/login');
    await typeEmail('erika@sparkasse.example');
    assert.dom('label[for="login-password"]').hasText('Password of your Sparkasse Muster account');
    assert.dom('[data-test-login-submit]').doesNotExist('required: no Kontor password button');
    await fillIn('#login-password', 'wrong');
    await click('[data-test-directory-ldap]');
    assert.dom('[data-test-form-error]').includesText('not correct');
    await fillIn('#login-password', 'directory secret');
    await click('[data-test-directory-ldap]');
    assert.dom('[data-test-second-factor-form]').exists();
    await fillIn('#login-code', '123456');
    await click('[data-test-code-submit]');
    assert.strictEqual(currentURL(), '/');
    assert.deepEqual(calls.filter((c) => c.path === '/auth/login/directory').map((c) => c.body), [
      { email: 'erika@sparkasse.example', password: 'wrong' },
      { email: 'erika@sparkasse.example', password: 'directory secret' },
    ]);
    assert.notOk(calls.some((c) => c.path === '/auth/login'), 'never the Kontor password route');
  });

  test('the provider\'s refusal comes back translated', async function (assert) {
    this.owner.register('service:api', fakeApi({}));
    await visit('/login?directoryError=no_mapped_group');
    assert.dom('[data-test-form-error]').includesText('no group that has a role');
  });

  test('an unknown refusal code gets the general sentence; it follows a switch to German', async function (assert) {
    this.owner.register('service:api', fakeApi({}));
    await visit('/login?directoryError=something_new');
    assert.dom('[data-test-form-error]').includesText('The sign-in through your bank did not work');
    this.owner.lookup('service:locale').use('de-de');
    await settled();
    assert.dom('[data-test-form-error]').includesText('Die Anmeldung über Ihre Bank hat nicht geklappt');
  });

  test('back from the provider with a second factor pending: the code is asked for', async function (assert) {
    this.owner.register('service:api', fakeApi({
      'POST /auth/login/second-factor': () => ({ ...sessionInfo(), previousLogin: null }),
      'GET /auth/session': () => sessionInfo(),
    }));
    await visit('/login?step=second-factor');
    assert.dom('[data-test-second-factor-form]').exists();
    await fillIn('#login-code', '123456');
    await click('[data-test-code-submit]');
    assert.strictEqual(currentURL(), '/');
  });

  test('passkey: the server\'s options go to the authenticator, its answer back; a cancel is said plainly', async function (assert) {
    const calls: Call[] = [];
    const seen: unknown[] = [];
    let cancel = true;
    this.owner.register('service:webauthn', fakeWebauthn(() => {
      if (cancel) {
        cancel = false;
        throw new DOMException('The operation either timed out or was not allowed.', 'NotAllowedError');
      }
      return { id: 'cred-1', rawId: 'cred-1', type: 'public-key', response: { clientDataJSON: 'a', authenticatorData: 'b', signature: 'c' }, clientExtensionResults: {} };
    }, seen));
    this.owner.register('service:api', fakeApi({
      'POST /auth/login/passkey/options': () => ({ challenge: 'chal-1', rpId: 'localhost', userVerification: 'required' }),
      'POST /auth/login/passkey': () => ({ ...sessionInfo(), previousLogin: null }),
      'GET /auth/session': () => sessionInfo(),
    }, calls));
    await visit('/login');
    await click('[data-test-passkey-login]');
    assert.dom('[data-test-form-error]').includesText('cancelled');
    assert.strictEqual(currentURL(), '/login');
    await click('[data-test-passkey-login]');
    assert.strictEqual(currentURL(), '/');
    assert.deepEqual(seen[1], { challenge: 'chal-1', rpId: 'localhost', userVerification: 'required' });
    assert.deepEqual((calls.find((c) => c.path === '/auth/login/passkey')?.body as { response: { id: string } }).response.id, 'cred-1');
  });
});
