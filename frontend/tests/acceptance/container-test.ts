import { module, test } from 'qunit';
import { visit, click, waitFor, waitUntil } from '@ember/test-helpers';
import { setupApplicationTest } from 'frontend/tests/helpers';
import { fakeApi, sessionInfo } from 'frontend/tests/helpers/fake-api';

const run = (id: string, status: string, progress: number) => ({
  id, containerId: 'c1', kind: 'leasing', status, progress, templateId: null, templateName: null, definition: null, groupsCount: 10,
  resultsCount: status === 'succeeded' ? 4 : 0, error: null, createdBy: { id: 'u1', name: 'Erika Muster' },
  createdAt: '2026-12-01T09:00:00Z', startedAt: '2026-12-01T09:00:00Z', finishedAt: status === 'succeeded' ? '2026-12-01T09:00:02Z' : null,
  durationMs: status === 'succeeded' ? 2000 : null,
});
const importView = (status: string) => ({
  id: 'i1', kind: 'products', status, bytesTotal: 1000, bytesProcessed: 400, rowsProcessed: 4, rowsImported: 0, errorCount: 0, errors: [], finishedAt: null,
});
const container = (imports: unknown[] = []) => ({
  id: 'c1', name: 'Bestand Dezember', locked: false, lastImportAt: null, counts: { customerGroups: 10, products: 5, payments: 0 }, imports,
});
const analyst = () => sessionInfo({ permissions: ['containers:read', 'containers:write', 'leasing:read', 'leasing:write'], modules: ['leasing'] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

module('Acceptance | container', function (hooks) {
  setupApplicationTest(hooks);

  hooks.beforeEach(function () {
    this.owner.lookup('service:locale').setup(['en-US']);
  });

  test('a started calculation is in the history at once, as the server lists it, and is followed to its end', async function (assert) {
    let runs: ReturnType<typeof run>[] = [];
    let polls = 0;
    const calls: { method: string; path: string; body: unknown }[] = [];
    this.owner.register('service:api', fakeApi({
      'GET /auth/session': analyst,
      'GET /containers/c1': () => container(),
      'GET /calculations?containerId=c1': () => runs,
      'POST /calculations': () => {
        runs = [run('k1', 'queued', 0)];
        return { id: 'k1' };
      },
      'GET /calculations/k1': () => {
        runs = [++polls >= 3 ? run('k1', 'succeeded', 1) : run('k1', 'running', 0.5)];
        return runs[0];
      },
    }, calls));
    await visit('/containers/c1');
    assert.dom('[data-test-history]').doesNotExist('no runs yet');
    await click('[data-test-start]');
    assert.dom('[data-test-run="k1"]').exists('the new run is listed right after the start');
    const started = calls.findIndex((c) => c.method === 'POST');
    assert.true(calls.slice(started).some((c) => c.path === '/calculations?containerId=c1'), 'the history was asked from the server after the start');
    assert.dom('[data-test-start]').isDisabled('one run at a time');
    await waitFor('[data-test-open-result]', { timeout: 5000 });
    assert.dom('[data-test-run="k1"]').includesText('finished');
    assert.dom('[data-test-calc-progress]').doesNotExist('the progress goes when the run ends');
    assert.dom('[data-test-start]').isNotDisabled();
  });

  test('leaving the page stops the polling; coming back shows what still runs, as the server says', async function (assert) {
    let calcPolls = 0;
    let importPolls = 0;
    this.owner.register('service:api', fakeApi({
      'GET /auth/session': analyst,
      'GET /containers': () => [container()],
      'GET /departments': () => [{ id: 'd1', name: 'Gesamthaus', archived: false, members: 1, mine: true }],
      'GET /containers/c1': () => container([importView('running')]),
      'GET /calculations?containerId=c1': () => [run('k1', 'running', 0.3)],
      'GET /calculations/k1': () => (calcPolls++, run('k1', 'running', 0.3)),
      'GET /imports/i1': () => (importPolls++, importView('running')),
    }));
    await visit('/containers/c1');
    assert.dom('[data-test-calc-progress]').exists('the running calculation is followed');
    assert.dom('[data-test-import-slot="products"] [data-test-progress]').exists('the running import is followed');
    assert.dom('[data-test-run="k1"]').includesText('running');
    await waitUntil(() => calcPolls >= 2 && importPolls >= 2, { timeout: 4000 });

    await visit('/containers');
    const [calcSeen, importSeen] = [calcPolls, importPolls];
    await sleep(1600);
    assert.strictEqual(calcPolls, calcSeen, 'no calculation poll after leaving the page');
    assert.strictEqual(importPolls, importSeen, 'no import poll after leaving the page');

    await visit('/containers/c1');
    assert.dom('[data-test-calc-progress]').exists('back on the page, the run shows again');
    assert.dom('[data-test-import-slot="products"] [data-test-progress]').exists('and so does the import');
    await waitUntil(() => calcPolls > calcSeen, { timeout: 4000 });
    assert.ok(calcPolls > calcSeen, 'and is followed again');
  });
});
