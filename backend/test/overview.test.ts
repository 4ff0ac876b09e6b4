import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { defaultDepartment } from './helpers/departments.js';

/**
 * What the overview asks the server (issue 15 item 5): the jobs running in the whole bank, not
 * only in the containers the page happens to read, and for admins who has no second factor.
 */

let t: TestKontor;

async function signIn(u: TestUser): Promise<Client> {
  const c = new Client(t.url);
  assert.equal((await c.login(u.email, u.password)).status, 200, `sign-in of ${u.email}`);
  return c;
}

async function container(tenantId: string, name: string): Promise<string> {
  const id = randomUUID();
  const departmentId = await defaultDepartment(t.owner, tenantId);
  await inWholeTenant(t.owner, tenantId, (trx) => trx('containers').insert({ tenant_id: tenantId, department_id: departmentId, id, name }));
  return id;
}

async function importIn(tenantId: string, containerId: string, status: string): Promise<string> {
  const id = randomUUID();
  const departmentId = await defaultDepartment(t.owner, tenantId);
  await inWholeTenant(t.owner, tenantId, (trx) => trx('imports').insert({
    tenant_id: tenantId, id, container_id: containerId, department_id: departmentId, kind: 'products', status, bytes_total: 100, created_at: new Date(),
  }));
  return id;
}

async function runIn(tenantId: string, containerId: string, kind: string, status: string): Promise<string> {
  const id = randomUUID();
  const departmentId = await defaultDepartment(t.owner, tenantId);
  await inWholeTenant(t.owner, tenantId, (trx) => trx('calculations').insert({
    tenant_id: tenantId, id, container_id: containerId, department_id: departmentId, kind, definition: '{}', status, created_at: new Date(),
  }));
  return id;
}

before(async () => {
  t = await startTestKontor();
});
after(async () => {
  await t.close();
});

describe('running jobs of the bank', () => {
  it('lists queued and running imports and runs of every container, with the container name; finished ones and other banks are not listed', async () => {
    const analyst = await createTenantWithUser(t, { roles: ['analyst'], modules: ['leasing', 'segmentation'] });
    const other = await createTenantWithUser(t, { roles: ['analyst'], modules: ['leasing', 'segmentation'] });
    const old = await container(analyst.tenantId, 'Bestand 2019');
    const fresh = await container(analyst.tenantId, 'Bestand 2026');
    const elsewhere = await container(other.tenantId, 'Fremd');
    const running = await importIn(analyst.tenantId, old, 'running');
    const queued = await importIn(analyst.tenantId, fresh, 'queued');
    await importIn(analyst.tenantId, fresh, 'succeeded');
    await importIn(other.tenantId, elsewhere, 'running');
    const leasing = await runIn(analyst.tenantId, old, 'leasing', 'running');
    const segmentation = await runIn(analyst.tenantId, fresh, 'segmentation', 'queued');
    await runIn(analyst.tenantId, fresh, 'leasing', 'succeeded');
    await runIn(other.tenantId, elsewhere, 'leasing', 'running');

    const c = await signIn(analyst);
    const imports = await c.get('/api/imports?status=active');
    assert.equal(imports.status, 200, JSON.stringify(imports.body));
    assert.deepEqual(imports.body.map((i: { id: string }) => i.id).sort(), [running, queued].sort());
    assert.equal(imports.body.find((i: { id: string }) => i.id === running).containerName, 'Bestand 2019');
    assert.equal(imports.body.find((i: { id: string }) => i.id === running).containerId, old);

    const runs = await c.get('/api/calculations?status=active');
    assert.equal(runs.status, 200, JSON.stringify(runs.body));
    assert.deepEqual(runs.body.map((r: { id: string }) => r.id).sort(), [leasing, segmentation].sort());
    assert.equal(runs.body.find((r: { id: string }) => r.id === leasing).containerName, 'Bestand 2019');

    const inOne = await c.get(`/api/calculations?containerId=${fresh}&status=active`);
    assert.deepEqual(inOne.body.map((r: { id: string }) => r.id), [segmentation], 'one container, active only');
    assert.equal((await c.get(`/api/calculations?containerId=${fresh}`)).body.length, 2, 'the history without the filter is unchanged');
  });

  it('lists only the kinds the caller may read in modules the bank has', async () => {
    const analyst = await createTenantWithUser(t, { roles: ['analyst'], modules: ['leasing'] });
    const box = await container(analyst.tenantId, 'Nur Leasing');
    const leasing = await runIn(analyst.tenantId, box, 'leasing', 'running');
    await runIn(analyst.tenantId, await container(analyst.tenantId, 'Zweiter'), 'segmentation', 'running');
    const c = await signIn(analyst);
    assert.deepEqual((await c.get('/api/calculations?status=active')).body.map((r: { id: string }) => r.id), [leasing], 'no segmentation run without the module');
  });

  it('refuses a listing it does not know: 400 with the field, not a list', async () => {
    const analyst = await createTenantWithUser(t, { roles: ['analyst'], modules: ['leasing'] });
    const c = await signIn(analyst);
    for (const path of ['/api/imports', '/api/imports?status=finished', '/api/imports?status=active&x=1']) {
      const res = await c.get(path);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.error.code, 'invalid_input', path);
    }
    const noFilter = await c.get('/api/calculations');
    assert.equal(noFilter.status, 400);
    assert.equal(noFilter.body.error.field, 'containerId');
    assert.equal((await c.get('/api/calculations?status=done')).status, 400);
  });
});

describe('second factor in the staff list', () => {
  it('says per user whether an authenticator app (confirmed) or a passkey is set up', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const withApp = await addUser(t, admin.tenantId);
    const unconfirmed = await addUser(t, admin.tenantId);
    const withPasskey = await addUser(t, admin.tenantId);
    const none = await addUser(t, admin.tenantId);
    await t.owner('user_totp').insert({ user_id: withApp.id, secret_enc: 'x', created_at: new Date(), confirmed_at: new Date() });
    await t.owner('user_totp').insert({ user_id: unconfirmed.id, secret_enc: 'x', created_at: new Date() });
    await t.owner('user_passkeys').insert({
      user_id: withPasskey.id, credential_id: randomUUID(), public_key: Buffer.from('k'), device_type: 'singleDevice', backed_up: false, name: 'Laptop', created_at: new Date(),
    });
    const c = await signIn(admin);
    const res = await c.get('/api/users');
    assert.equal(res.status, 200);
    const factor = Object.fromEntries(res.body.map((u: { id: string; secondFactor: boolean }) => [u.id, u.secondFactor]));
    assert.equal(factor[withApp.id], true);
    assert.equal(factor[unconfirmed.id], false, 'an enrolment never confirmed is no factor');
    assert.equal(factor[withPasskey.id], true);
    assert.equal(factor[none.id], false);
  });
});
