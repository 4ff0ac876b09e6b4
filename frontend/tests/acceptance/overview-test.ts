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

const approval = (id: string, kind: string, status: string, canDecide: boolean) => ({
  id, kind, summary: { email: 'neu@bank.example' }, reason: 'Neue Kollegin', status, proposedBy: { id: 'u9', email: 'anna@bank.example' },
  proposedAt: '2026-11-30T10:00:00Z', expiresAt: '2026-12-07T10:00:00Z', decidedBy: null, decidedAt: null, failureCode: null, canDecide,
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
      'GET /calculations?status=active': () => (status === 'running' ? [{ ...run('k2', 'c2', status, '2026-11-30T09:00:00Z'), containerName: 'Neu' }] : []),
      'GET /imports?status=active': () => [],
      'GET /approvals': () => [],
    }, calls));
    await visit('/');
    assert.dom('[data-test-overview-container]').exists({ count: 2 });
    assert.dom('[data-test-overview-container]:first-child').hasAttribute('data-test-overview-container', 'Neu', 'the most recent first');
    assert.dom('[data-test-overview-calculation]').exists({ count: 2 });
    assert.dom('[data-test-running-calculation]').includesText('Leasing potential on “Neu” (running)');
    assert.dom('[data-test-overview-staff]').doesNotExist('no staff section without users:read');
    assert.dom('[data-test-factor-state="enrolled"]').exists();
    assert.false(calls.some((c) => c.path === '/users' || c.path === '/recertifications'), 'nothing read that the role may not read');
    assert.dom('[data-test-overview-approvals]').doesNotExist('no approvals section when nothing waits and the user is no admin');

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
        { id: 'u1', name: 'Erika Muster', email: 'erika@bank.example', status: 'active', lastLoginAt: '2026-11-30T08:00:00Z', vendorStaff: false, secondFactor: true },
        { id: 'u2', name: 'Lutz Gesperrt', email: 'lutz@bank.example', status: 'locked', lastLoginAt: '2026-11-01T08:00:00Z', vendorStaff: false, secondFactor: false },
        { id: 'u3', name: 'Ina Neu', email: 'ina@bank.example', status: 'active', lastLoginAt: null, vendorStaff: false, secondFactor: false },
        { id: 'u4', name: 'Otto Ohne', email: 'otto@bank.example', status: 'active', lastLoginAt: '2026-11-29T08:00:00Z', vendorStaff: false, secondFactor: false },
        { id: 'u5', name: 'Vera Vendor', email: 'vera@kontor.example', status: 'active', lastLoginAt: '2026-11-29T08:00:00Z', vendorStaff: true, secondFactor: false },
      ],
      'GET /approvals': () => [
        approval('a1', 'user.invite', 'pending', true),
        approval('a2', 'settings.change', 'pending', false),
        approval('a3', 'user.remove', 'approved', false),
      ],
      'GET /recertifications': () => [
        { id: 'r1', scope: 'admins', status: 'open', overdue: true, startedAt: '2026-10-01T08:00:00Z', dueAt: '2026-10-31T08:00:00Z', closedAt: null, total: 4, decided: 1, revoked: 0 },
        { id: 'r0', scope: 'all', status: 'closed', overdue: false, startedAt: '2026-01-01T08:00:00Z', dueAt: '2026-01-31T08:00:00Z', closedAt: '2026-01-20T08:00:00Z', total: 9, decided: 9, revoked: 1 },
      ],
      'GET /auth/totp': () => ({ enrolled: false, recoveryCodesLeft: 0 }),
    }));
    await visit('/');
    assert.dom('[data-test-overview-containers]').doesNotExist('no container section without containers:read');
    assert.dom('[data-test-overview-locked]').hasText('Lutz Gesperrt (lutz@bank.example)');
    assert.dom('[data-test-overview-invited]').hasText('Ina Neu (ina@bank.example)');
    assert.dom('[data-test-overview-without-factor]').hasText('2 colleagues have no second factor yet.', 'own active staff only: not the locked one, not vendor staff');
    assert.dom('[data-test-overview-approval]').exists({ count: 1 }, 'only what this admin may decide, and only pending');
    assert.dom('[data-test-overview-approval]').includesText('Invite user');
    assert.dom('[data-test-overview-approval]').includesText('anna@bank.example');
    assert.dom('[data-test-overview-campaign]').exists({ count: 1 }, 'open campaigns only');
    assert.dom('[data-test-overview-campaign="r1"]').includesText('1 of 4 decided');
    assert.dom('[data-test-overview-campaign="r1"] [data-test-overdue]').hasText('overdue');
    assert.dom('[data-test-factor-state="missing"]').exists();
    this.owner.lookup('service:locale').setup(['de-DE']);
    await visit('/');
    assert.dom('[data-test-overview-staff] h2').hasText('Mitarbeitende');
    assert.dom('[data-test-overview-without-factor]').hasText('2 Personen haben noch keinen zweiten Faktor.');
    assert.dom('[data-test-overview-recert] h2').hasText('Offene Rezertifizierung');
    await click('[data-test-overview-factor] a');
    assert.strictEqual(currentURL(), '/security');
  });

  test('running jobs come from the whole bank, imports too, and are asked again on every visit', async function (assert) {
    let running = true;
    const calls: { method: string; path: string; body: unknown }[] = [];
    const containers = ['c1', 'c2', 'c3', 'c4'].map((id, i) => container(id, `Bestand ${i + 1}`, `2026-11-0${i + 1}T08:00:00Z`));
    this.owner.register('service:api', fakeApi({
      'GET /auth/session': () => sessionInfo({ permissions: ['containers:read', 'leasing:read'], modules: ['leasing'], mfa: { enrolled: true, verified: true, required: false } }),
      'GET /containers': () => containers,
      'GET /calculations': () => [],
      // The oldest container, whose history the overview does not read: its run still shows.
      'GET /calculations?status=active': () => (running ? [{ ...run('k1', 'c1', 'running', '2026-11-30T09:00:00Z'), containerName: 'Bestand 1' }] : []),
      'GET /imports?status=active': () => (running ? [{
        id: 'i1', containerId: 'c2', containerName: 'Bestand 2', kind: 'products', status: 'queued', bytesTotal: 10, bytesProcessed: 0, rowsProcessed: 0, rowsImported: 0, errorCount: 0, errors: [], finishedAt: null,
      }] : []),
      'GET /approvals': () => [],
    }, calls));
    await visit('/');
    assert.false(calls.some((c) => c.path === '/calculations?containerId=c1'), 'the oldest container\'s history is not read');
    assert.dom('[data-test-running-calculation]').includesText('Leasing potential on “Bestand 1” (running)');
    assert.dom('[data-test-running-import="i1"]').includesText('“Bestand 2” (waiting)');
    await click('[data-test-running-import="i1"] a');
    assert.strictEqual(currentURL(), '/containers/c2', 'the job links to its container');

    running = false;
    await visit('/');
    assert.dom('[data-test-running-import]').doesNotExist();
    assert.dom('[data-test-running-calculation]').doesNotExist();
    assert.dom('[data-test-nothing-running]').hasText('No import or calculation is running.');
  });
});
