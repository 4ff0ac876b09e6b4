import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';

let t: TestKontor;
let c: Client;

before(async () => {
  t = await startTestKontor();
  const analyst = await createTenantWithUser(t, { roles: ['analyst'], modules: ['segmentation', 'leasing'] });
  c = new Client(t.url);
  assert.equal((await c.login(analyst.email, analyst.password)).status, 200);
});
after(() => t.close());

const segment = (rules: Record<string, unknown>) => ({ name: 'A', kut: 1, kind: 'ALL', type: 'normal', rules });

describe('error bodies over HTTP: code, reason, field and the parameters the SPA translates with', () => {
  it('a template validation names the nested field, the reason and the field it is compared with', async () => {
    const res = await c.post('/api/segmentation/templates', { name: 'T', segments: [segment({ ageMin: 50, ageMax: 40 })] });
    assert.equal(res.status, 400);
    assert.deepEqual(
      { code: res.body.error.code, reason: res.body.error.reason, field: res.body.error.field, params: res.body.error.params },
      { code: 'invalid_input', reason: 'not_greater', field: 'template.segments.0.rules.ageMax', params: { field: 'template.segments.0.rules.ageMax', other: 'ageMin' } },
    );
    assert.match(res.body.error.message, /^template\.segments\.0\.rules\.ageMax: must be greater than ageMin\./);
  });

  it('a schema bound comes with its limit', async () => {
    const res = await c.post('/api/segmentation/templates', { name: 'T', segments: [{ ...segment({}), kut: 12 }] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.reason, 'too_big');
    assert.deepEqual(res.body.error.params, { field: 'template.segments.0.kut', maximum: '9' });
  });

  it('name_taken is two codes now: a container name and a template name', async () => {
    assert.equal((await c.post('/api/containers', { name: 'Bestand' })).status, 201);
    const container = await c.post('/api/containers', { name: 'Bestand' });
    assert.deepEqual([container.status, container.body.error.code], [409, 'container_name_taken']);
    const template = { name: 'Vorlage', segments: [segment({})] };
    assert.equal((await c.post('/api/segmentation/templates', template)).status, 201);
    const again = await c.post('/api/segmentation/templates', template);
    assert.deepEqual([again.status, again.body.error.code], [409, 'template_name_taken']);
  });

  it('not_found says of which kind', async () => {
    const res = await c.get('/api/containers/00000000-0000-4000-8000-000000000000');
    assert.deepEqual([res.status, res.body.error.code, res.body.error.reason], [404, 'not_found', 'container']);
    const route = await c.get('/api/no-such-route');
    assert.deepEqual([route.status, route.body.error.code, route.body.error.reason], [404, 'not_found', 'route']);
  });

  it('an ended session says why (the session-end contract)', async () => {
    const other = new Client(t.url);
    other.cookie = c.cookie;
    assert.equal((await c.post('/api/auth/logout', {})).status < 300, true);
    const res = await other.get('/api/containers');
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'session_expired');
    assert.ok(['unknown', 'signed_out'].includes(res.body.error.reason), res.body.error.reason);
  });
});
