import { module, test } from 'qunit';
import { visit, click } from '@ember/test-helpers';
import { setupApplicationTest } from 'frontend/tests/helpers';
import { fakeApi, sessionInfo } from 'frontend/tests/helpers/fake-api';

/** The language is kept with the user on the server (issue 15): a reload or another device speaks it again. */
module('Acceptance | language kept with the user', function (hooks) {
  setupApplicationTest(hooks);

  test('the switch is saved to the profile, and a reload speaks the saved language, not the browser one', async function (assert) {
    const profile: { locale: 'de' | 'en' | null } = { locale: 'de' };
    const calls: { method: string; path: string; body: unknown }[] = [];
    this.owner.register('service:api', fakeApi({
      'GET /auth/session': () => sessionInfo({ user: { id: 'u1', email: 'erika@bank.example', name: 'Erika Muster', locale: profile.locale } }),
      'PATCH /auth/profile': (body: { locale: 'de' | 'en' }) => {
        profile.locale = body.locale;
        return { email: 'erika@bank.example', name: 'Erika Muster', ...profile };
      },
      'GET /auth/sessions': () => [],
    }, calls));
    const locale = this.owner.lookup('service:locale');
    const session = this.owner.lookup('service:session');
    locale.setup(['en-US']);
    await visit('/');
    assert.dom('a.nav-link[href="/"]').hasText('Übersicht', 'the saved German wins over the English browser');

    await click('[data-test-account-menu] [data-test-dropdown-toggle]');
    await click('[data-test-locale-toggle]');
    assert.dom('a.nav-link[href="/"]').hasText('Overview');
    assert.deepEqual(calls.filter((c) => c.method === 'PATCH'), [{ method: 'PATCH', path: '/auth/profile', body: { locale: 'en' } }], 'the choice goes to the server');

    // A reload: nothing in memory, a German browser, the session asked again.
    session.info = null;
    locale.setup(['de-DE']);
    await locale.ready;
    await visit('/login');
    await visit('/');
    assert.dom('a.nav-link[href="/"]').hasText('Overview', 'the reload speaks the language the user chose');
  });

  test('a language picked on the sign-in page is kept for a user who never chose one', async function (assert) {
    const calls: { method: string; path: string; body: unknown }[] = [];
    this.owner.register('service:api', fakeApi({
      'POST /auth/login': () => ({ ...sessionInfo({ user: { id: 'u1', email: 'erika@bank.example', name: 'Erika Muster', locale: null } }), previousLogin: null }),
      'PATCH /auth/profile': (body: { locale: string }) => ({ email: 'erika@bank.example', name: 'Erika Muster', locale: body.locale }),
    }, calls));
    const locale = this.owner.lookup('service:locale');
    await visit('/login');
    const before = locale.current;
    await click('[data-test-locale-toggle]');
    assert.notStrictEqual(locale.current, before, 'the sign-in page switched');
    assert.deepEqual(calls.filter((c) => c.method === 'PATCH'), [], 'nothing is saved before sign-in');
    await this.owner.lookup('service:session').login('erika@bank.example', 'correct horse battery');
    assert.deepEqual(calls.filter((c) => c.method === 'PATCH').map((c) => c.body), [{ locale: locale.current === 'en-us' ? 'en' : 'de' }]);
  });
});
