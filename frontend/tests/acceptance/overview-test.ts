import { module, test } from 'qunit';
import { visit, click, currentURL } from '@ember/test-helpers';
import { setupApplicationTest } from 'frontend/tests/helpers';
import { fakeApi, sessionInfo } from 'frontend/tests/helpers/fake-api';

const container = (id: string, name: string, lastImportAt: string | null) => ({
  id, name, locked: false, lastImportAt, lastCalculatedAt: null, counts: { customerGroups: 10, products: 5, payments: 0 },
});
const run = (id: string, containerId: string, status: string, createdAt: string) => ({
  id, containerId, kind: 'leasing', status, progress: 0.4, templateId: null, templateName: null, definition: null, groupsCount: 10,
  resultsCount: 0, error: null, createdBy: { id: 'u1', name: 'Erika Muster' }, createdAt, startedAt: createdAt, finishedAt: null, durationMs: null,
});

module('Acceptance | overview', function (hooks) {
  setupApplicationTest(hooks);

  hooks.beforeEach(function () {
    this.owner.lookup('service:locale').setup(['en-US']);
  });

  test('an analyst sees the last containers and calculations, and what runs now, as the server says each time', async function (assert) {
    let status = 'running';
    const calls: { method: string; path: string; body: unknown }[] = [];
    this.owner.register('service:api', fakeApi({
      'GET /auth/session': () => sessionInfo({ permissions: ['containers:read', 'leasing:read'], modules: ['leasing'], mfa: { enrolled: true, verified: true, required: false } }),
      'GET /containers': () => [container('c1', 'Alt', '2026-10-01T08:00:00Z'), container('c2', 'Neu', '2026-11-30T08:00:00Z')],
      'GET /calculations?containerId=c2': () => [run('k2', 'c2', status, '2026-11-30T09:00:00Z')],
      'GET /calculations?containerId=c1': () => [run('k1', 'c1', 'succeeded', '2026-10-01T09:00:00Z')],
      'GET /departments': () => [{ id: 'd1', name: 'Gesamthaus', archived: false, members: 1, mine: true }],
    }, calls));
    await visit('/');
    assert.dom('[data-test-overview-container]').exists({ count: 2 });
    assert.dom('[data-test-overview-container]:first-child').hasAttribute('data-test-overview-container', 'Neu', 'the most recent first');
    assert.dom('[data-test-overview-calculation]').exists({ count: 2 });
    assert.dom('[data-test-running-calculation]').includesText('Leasing potential on “Neu” (running)');
    assert.dom('[data-test-overview-staff]').doesNotExist('no staff section without users:read');
    assert.dom('[data-test-factor-state="enrolled"]').exists();
    assert.false(calls.some((c) => c.path === '/users'), 'nothing read that the role may not read');

    // Coming back asks the server again.
    status = 'succeeded';
    await visit('/containers');
    await visit('/');
    assert.dom('[data-test-running-calculation]').doesNotExist();
    assert.dom('[data-test-nothing-running]').exists();
  });

  test('an admin also sees locked and invited staff, and the way to set up a missing second factor', async function (assert) {
    this.owner.register('service:api', fakeApi({
      'GET /auth/session': () => sessionInfo({ permissions: ['users:read'] }),
      'GET /users': () => [
        { id: 'u1', name: 'Erika Muster', email: 'erika@bank.example', status: 'active', lastLoginAt: '2026-11-30T08:00:00Z', vendorStaff: false },
        { id: 'u2', name: 'Lutz Gesperrt', email: 'lutz@bank.example', status: 'locked', lastLoginAt: '2026-11-01T08:00:00Z', vendorStaff: false },
        { id: 'u3', name: 'Ina Neu', email: 'ina@bank.example', status: 'active', lastLoginAt: null, vendorStaff: false },
      ],
      'GET /auth/totp': () => ({ enrolled: false, recoveryCodesLeft: 0 }),
    }));
    await visit('/');
    assert.dom('[data-test-overview-containers]').doesNotExist('no container section without containers:read');
    assert.dom('[data-test-overview-locked]').hasText('Lutz Gesperrt (lutz@bank.example)');
    assert.dom('[data-test-overview-invited]').hasText('Ina Neu (ina@bank.example)');
    assert.dom('[data-test-factor-state="missing"]').exists();
    this.owner.lookup('service:locale').setup(['de-DE']);
    await visit('/');
    assert.dom('[data-test-overview-staff] h2').hasText('Mitarbeitende');
    await click('[data-test-overview-factor] a');
    assert.strictEqual(currentURL(), '/security');
  });
});
