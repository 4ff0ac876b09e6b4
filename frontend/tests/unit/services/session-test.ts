import { module, test } from 'qunit';
import type Owner from '@ember/owner';
import { setupTest } from 'frontend/tests/helpers';
import { fakeApi, sessionInfo } from 'frontend/tests/helpers/fake-api';

module('Unit | Service | session (idle and renewal clock)', function (hooks) {
  setupTest(hooks);

  function setup(owner: Owner, calls: { path: string }[]) {
    owner.register('service:api', fakeApi({
      'POST /auth/login': () => ({ ...sessionInfo({ session: { id: 's', idleMinutes: 10, absoluteExpiresAt: new Date(Date.now() + 3600_000).toISOString() } }), previousLogin: null }),
      'POST /auth/refresh': () => sessionInfo({ session: { id: 's2', idleMinutes: 10, absoluteExpiresAt: new Date(Date.now() + 3600_000).toISOString() } }),
      'POST /auth/logout': () => undefined,
    }, calls as never));
    const session = owner.lookup('service:session');
    session.router.transitionTo = (() => undefined) as never;
    let now = Date.now();
    session.now = () => now;
    return { session, advance: (minutes: number) => (now += minutes * 60_000) };
  }

  test('warns two minutes before the idle limit and signs out at it', async function (assert) {
    const calls: { path: string }[] = [];
    const { session, advance } = setup(this.owner, calls);
    await session.login('e@bank.example', 'pw');
    advance(7.5);
    await session.tick();
    assert.strictEqual(session.warningSecondsLeft, null, 'no warning yet');
    advance(1);
    await session.tick();
    assert.strictEqual(session.warningSecondsLeft, 90);
    advance(1.5);
    await session.tick();
    assert.strictEqual(session.info, null, 'signed out at the limit');
    assert.strictEqual(session.notice, 'login.idleSignedOut');
    assert.true(calls.some((c) => c.path === '/auth/logout'));
  });

  test('renews silently only after the user did something', async function (assert) {
    const calls: { path: string }[] = [];
    const { session, advance } = setup(this.owner, calls);
    await session.login('e@bank.example', 'pw');
    advance(6);
    await session.tick();
    assert.false(calls.some((c) => c.path === '/auth/refresh'), 'no renewal without activity');
    session.noteInteraction();
    await session.tick();
    assert.true(calls.some((c) => c.path === '/auth/refresh'), 'renewed after activity');
    session.willDestroy();
  });

  test('"stay signed in" renews and hides the warning', async function (assert) {
    const calls: { path: string }[] = [];
    const { session, advance } = setup(this.owner, calls);
    await session.login('e@bank.example', 'pw');
    advance(9);
    await session.tick();
    assert.ok(session.warningSecondsLeft);
    await session.stayActive();
    assert.strictEqual(session.warningSecondsLeft, null);
    assert.true(calls.some((c) => c.path === '/auth/refresh'));
    session.willDestroy();
  });
});
