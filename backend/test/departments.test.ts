import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { addDepartment, defaultDepartment, setDepartments } from './helpers/departments.js';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { grantTo, vendorUser } from './helpers/tenancy.js';

/**
 * Departments through the API (issue 18): who sees what, creating into and moving between
 * departments, memberships on users. Two analysts of one bank in different departments cannot
 * see, import into, calculate on or export each other's containers.
 */
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'imports');
let t: TestKontor;
let admin: TestUser;
let tenantId: string;
let retail: string;
let corporate: string;
let retailAnalyst: TestUser;
let corporateAnalyst: TestUser;
const clients = new Map<string, Client>();

async function as(user: TestUser): Promise<Client> {
  const c = new Client(t.url);
  const res = await c.login(user.email, user.password);
  assert.equal(res.status, 200, `sign-in of ${user.email}`);
  clients.set(user.id, c);
  return c;
}

async function upload(client: Client, containerId: string, kind: string, fixture: string) {
  const res = await fetch(`${t.url}/api/containers/${containerId}/imports/${kind}`, {
    method: 'POST', headers: { origin: t.url, cookie: client.cookie!, 'content-type': 'text/csv' }, body: fs.readFileSync(path.join(fixtures, fixture)),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function settled(client: Client, importId: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const res = await client.get(`/api/imports/${importId}`, { 'x-kontor-background': '1' });
    if (res.body.status === 'succeeded' || res.body.status === 'failed') return res.body.status as string;
    await new Promise((r) => setTimeout(r, 25));
  }
  return 'unfinished';
}

before(async () => {
  t = await startTestKontor();
  admin = await createTenantWithUser(t, { roles: ['tenant_admin'], modules: ['segmentation', 'leasing'] });
  tenantId = admin.tenantId;
  retail = await defaultDepartment(t.owner, tenantId);
  corporate = await addDepartment(t.owner, tenantId, 'Firmenkunden');
  retailAnalyst = await addUser(t, tenantId, { roles: ['analyst'] });
  corporateAnalyst = await addUser(t, tenantId, { roles: ['analyst'] });
  await setDepartments(t.owner, tenantId, corporateAnalyst.id, [corporate]);
});

after(async () => t.close());

describe('departments', () => {
  it('two analysts of one bank in different departments cannot see, import into, calculate on or export each other’s containers', async () => {
    const r = await as(retailAnalyst);
    const c = await as(corporateAnalyst);
    const mine = (await r.post('/api/containers', { name: 'Privatkunden 2026' })).body as { id: string; departmentId: string };
    assert.equal(mine.departmentId, retail);
    const theirs = await c.post('/api/containers', { name: 'Leasing-Kampagne' });
    assert.equal(theirs.status, 201);
    assert.equal(theirs.body.departmentId, corporate);
    // The same name in another department is neither a clash nor a probe.
    assert.equal((await c.post('/api/containers', { name: 'Privatkunden 2026' })).status, 201);

    assert.deepEqual(((await r.get('/api/containers')).body as { name: string }[]).map((x) => x.name), ['Privatkunden 2026']);
    assert.equal((await r.get(`/api/containers/${theirs.body.id}`)).status, 404);
    assert.equal((await r.request('PATCH', `/api/containers/${theirs.body.id}`, { name: 'taken over' })).status, 404);
    assert.equal((await r.request('DELETE', `/api/containers/${theirs.body.id}`)).status, 404);
    assert.equal((await upload(r, theirs.body.id, 'customer_groups', 'customer-groups-valid.csv')).status, 404);
    assert.equal((await r.post('/api/calculations', { containerId: theirs.body.id, kind: 'leasing' })).status, 404);
    assert.equal((await r.get(`/api/calculations?containerId=${theirs.body.id}`)).status, 404);

    // The corporate analyst imports and calculates; none of it reaches the retail analyst.
    const started = await upload(c, theirs.body.id, 'customer_groups', 'customer-groups-valid.csv');
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(await settled(c, started.body.id as string), 'succeeded');
    assert.equal((await r.get(`/api/imports/${started.body.id as string}`)).status, 404);
    const run = await c.post('/api/calculations', { containerId: theirs.body.id, kind: 'leasing' });
    assert.equal(run.status, 202, JSON.stringify(run.body));
    for (const p of ['', '/summary', '/rows', '/export.csv']) assert.equal((await r.get(`/api/calculations/${run.body.id as string}${p}`)).status, 404, p);
    assert.equal((await r.request('DELETE', `/api/calculations/${run.body.id as string}`)).status, 404);
    // The owner of the department does see its run.
    assert.notEqual((await c.get(`/api/calculations/${run.body.id as string}`)).status, 404);
  });

  it('a user in two departments names the department on create; the list filters and carries it', async () => {
    const both = await addUser(t, tenantId, { roles: ['analyst'] });
    await setDepartments(t.owner, tenantId, both.id, [retail, corporate]);
    const c = await as(both);
    const missing = await c.post('/api/containers', { name: 'Ohne Bereich' });
    assert.deepEqual([missing.status, missing.body.error.field], [400, 'departmentId']);
    const foreign = await c.post('/api/containers', { name: 'Fremd', departmentId: await addDepartment(t.owner, tenantId) });
    assert.deepEqual([foreign.status, foreign.body.error.field], [400, 'departmentId']);
    const made = await c.post('/api/containers', { name: 'Beide', departmentId: corporate });
    assert.deepEqual([made.status, made.body.departmentId, made.body.departmentName], [201, corporate, 'Firmenkunden']);
    const filtered = (await c.get(`/api/containers?departmentId=${corporate}`)).body as { departmentId: string }[];
    assert.ok(filtered.length >= 2 && filtered.every((x) => x.departmentId === corporate));
    const all = (await c.get('/api/containers')).body as { departmentId: string }[];
    assert.ok(all.some((x) => x.departmentId === retail) && all.some((x) => x.departmentId === corporate));
    assert.equal((await c.get('/api/containers?departmentId=nope')).status, 400);
    // Templates belong to a department too.
    const template = { name: 'Nur Firmen', segments: [{ name: 'Alle', kut: 1, kind: 'ALL', type: 'normal' }] };
    assert.equal((await c.post('/api/segmentation/templates', template)).status, 400);
    const made2 = await c.post('/api/segmentation/templates', { ...template, departmentId: corporate });
    assert.deepEqual([made2.status, made2.body.departmentId], [201, corporate]);
    const r = clients.get(retailAnalyst.id)!;
    assert.equal((await r.get(`/api/segmentation/templates/${made2.body.id as string}`)).status, 404);
    assert.ok(!((await r.get('/api/segmentation/templates')).body as { id: string }[]).some((x) => x.id === made2.body.id));
  });

  it('moving a container needs both departments and carries its data; the other department then sees it', async () => {
    const both = await addUser(t, tenantId, { roles: ['analyst'] });
    await setDepartments(t.owner, tenantId, both.id, [retail, corporate]);
    const c = await as(both);
    const made = (await c.post('/api/containers', { name: 'Umzug', departmentId: retail })).body as { id: string };
    const started = await upload(c, made.id, 'customer_groups', 'customer-groups-valid.csv');
    assert.equal(await settled(c, started.body.id as string), 'succeeded');
    const r = clients.get(retailAnalyst.id)!;
    // The retail analyst is not in the corporate department: the database refuses the move.
    const refused = await r.request('PATCH', `/api/containers/${made.id}`, { departmentId: corporate });
    assert.deepEqual([refused.status, refused.body.error.field], [400, 'departmentId']);
    const moved = await c.request('PATCH', `/api/containers/${made.id}`, { departmentId: corporate });
    assert.deepEqual([moved.status, moved.body.departmentId], [200, corporate]);
    assert.equal((await r.get(`/api/containers/${made.id}`)).status, 404);
    const seen = await clients.get(corporateAnalyst.id)!.get(`/api/containers/${made.id}`);
    assert.deepEqual([seen.status, seen.body.counts.customerGroups > 0, seen.body.imports.length], [200, true, 1]);
    const audit = await inWholeTenant(t.owner, tenantId, (trx) => trx('audit_events').where({ type: 'container.moved', subject_id: made.id }).first('details'));
    assert.deepEqual(audit?.details, { from: retail, to: corporate });
  });

  it('a bank admin without data rights sees no container, but manages departments and sees the whole audit log', async () => {
    const a = await as(admin);
    assert.equal((await a.get('/api/containers')).status, 403);
    const created = await a.post('/api/departments', { name: 'Vertriebscontrolling' });
    assert.equal(created.status, 201);
    assert.equal((await a.post('/api/departments', { name: 'vertriebscontrolling' })).status, 409);
    const renamed = await a.request('PATCH', `/api/departments/${created.body.id as string}`, { name: 'Filialnetz' });
    assert.deepEqual([renamed.status, renamed.body.name], [200, 'Filialnetz']);
    const archived = await a.request('PATCH', `/api/departments/${created.body.id as string}`, { archived: true });
    assert.equal(archived.body.archived, true);
    assert.equal((await a.request('PATCH', `/api/departments/${created.body.id as string}`, {})).status, 400);
    const names = ((await a.get('/api/departments')).body as { name: string }[]).map((d) => d.name);
    assert.ok(['Filialnetz', 'Firmenkunden', 'Gesamthaus'].every((n) => names.includes(n)), names.join());
    // An analyst lists only their own departments, and cannot create one.
    const r = clients.get(retailAnalyst.id)!;
    assert.deepEqual(((await r.get('/api/departments')).body as { id: string }[]).map((d) => d.id), [retail]);
    assert.equal((await r.post('/api/departments', { name: 'Eigenmächtig' })).status, 403);
    // The audit log is the bank's: the admin sees container events of both departments.
    const events = (await a.get('/api/audit/events?type=container.created')).body as { items?: unknown[] } | unknown[];
    const list = Array.isArray(events) ? events : (events.items ?? []);
    assert.ok(list.length >= 3, `expected the container events of both departments, got ${list.length}`);
  });

  it('memberships on users: set on invite and change; a change ends the user’s sessions; archived departments take no one new', async () => {
    const a = clients.get(admin.id) ?? await as(admin);
    const reader = (await t.owner('roles').where({ key: 'reader' }).first<{ id: string }>('id')).id;
    const invited = await a.post('/api/users', { email: `neu-${Date.now()}@bank.example`, name: 'Neu', roleIds: [reader], departmentIds: [corporate] });
    assert.deepEqual([invited.status, invited.body.departmentIds], [201, [corporate]]);
    const archived = (await a.post('/api/departments', { name: `Alt ${Date.now()}` })).body as { id: string };
    await a.request('PATCH', `/api/departments/${archived.id}`, { archived: true });
    const refused = await a.post('/api/users', { email: `alt-${Date.now()}@bank.example`, name: 'Alt', roleIds: [reader], departmentIds: [archived.id] });
    assert.deepEqual([refused.status, refused.body.error.code], [409, 'department_archived']);

    const moving = await addUser(t, tenantId, { roles: ['analyst'] });
    const m = await as(moving);
    assert.equal((await m.get('/api/containers')).status, 200);
    const changed = await a.request('PATCH', `/api/users/${moving.id}`, { departmentIds: [corporate] });
    assert.deepEqual([changed.status, changed.body.departmentIds], [200, [corporate]]);
    const after = await m.get('/api/containers');
    assert.deepEqual([after.status, after.body.error.code, after.body.error.reason], [401, 'session_expired', 'rights_changed']);
    const again = await as(moving);
    const names = ((await again.get('/api/containers')).body as { departmentId: string }[]).map((x) => x.departmentId);
    assert.ok(names.length > 0 && names.every((d) => d === corporate));
    const listed = ((await a.get('/api/users')).body as { id: string; departmentIds: string[] }[]).find((u) => u.id === moving.id);
    assert.deepEqual(listed?.departmentIds, [corporate]);
    const csv = (await a.get('/api/users.csv')).body as string;
    assert.match(csv.split('\n')[0]!, /departments/);
  });

  it('moving a container is a four-eyes change where four-eyes is on: applied by a second person who belongs to both departments', async () => {
    const proposer = await createTenantWithUser(t, { roles: ['analyst'], settings: { four_eyes: true } });
    const bank = proposer.tenantId;
    const from = await defaultDepartment(t.owner, bank);
    const to = await addDepartment(t.owner, bank, 'Firmenkunden');
    const approver = await addUser(t, bank, { roles: ['analyst'] });
    const onlyFrom = await addUser(t, bank, { roles: ['analyst'] });
    await setDepartments(t.owner, bank, proposer.id, [from, to]);
    await setDepartments(t.owner, bank, approver.id, [from, to]);
    const p = await as(proposer);
    const made = (await p.post('/api/containers', { name: 'Umzug mit vier Augen', departmentId: from })).body as { id: string };
    const departmentOf = async () => ((await p.get(`/api/containers/${made.id}`)).body as { departmentId: string }).departmentId;

    const first = await p.request('PATCH', `/api/containers/${made.id}`, { departmentId: to, reason: 'Kampagne gehört zu Firmenkunden' });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(await departmentOf(), from, 'held back until a second person approves');
    // Someone who cannot see the target department cannot apply the move.
    const refused = await (await as(onlyFrom)).post(`/api/approvals/${first.body.approvalId as string}/approve`);
    assert.notEqual(refused.status, 200);
    assert.equal(await departmentOf(), from);

    const second = await p.request('PATCH', `/api/containers/${made.id}`, { departmentId: to, reason: 'Kampagne gehört zu Firmenkunden' });
    assert.equal(second.status, 202);
    const approved = await (await as(approver)).post(`/api/approvals/${second.body.approvalId as string}/approve`);
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(await departmentOf(), to);
  });

  it('vendor staff see only the departments the bank’s approval names, or all where the bank is open', async () => {
    const reason = 'Ticket 4711: import of products fails at line 12';
    for (const mode of ['approval', 'open'] as const) {
      const bankAdmin = await createTenantWithUser(t, { roles: ['tenant_admin'], settings: { access_mode: mode, idle_minutes: 120 } });
      const bank = bankAdmin.tenantId;
      const first = await defaultDepartment(t.owner, bank);
      const second = await addDepartment(t.owner, bank, 'Firmenkunden');
      const analyst = await addUser(t, bank, { roles: ['analyst'] });
      await setDepartments(t.owner, bank, analyst.id, [first, second]);
      const a = await as(analyst);
      const inFirst = (await a.post('/api/containers', { name: 'Privat', departmentId: first })).body as { id: string };
      assert.equal((await a.post('/api/containers', { name: 'Firmen', departmentId: second })).status, 201);
      const support = await vendorUser(t, ['support']);
      await grantTo(t, support, bank, ['reader']);
      const s = await as(support);
      if (mode === 'approval') {
        const filed = await s.post('/api/platform/access-requests', { tenantId: bank, reason, minutes: 30 });
        assert.equal(filed.status, 201);
        const admin = await as(bankAdmin);
        const unnamed = await admin.post(`/api/access-requests/${filed.body.id as string}/approve`);
        assert.deepEqual([unnamed.status, unnamed.body.error?.field, unnamed.body.error?.reason], [400, 'departmentIds', 'department_required']);
        const foreign = await admin.post(`/api/access-requests/${filed.body.id as string}/approve`, { departmentIds: [retail] });
        assert.deepEqual([foreign.status, foreign.body.error?.field], [400, 'departmentIds'], 'another bank’s department');
        const approved = await admin.post(`/api/access-requests/${filed.body.id as string}/approve`, { departmentIds: [second] });
        assert.deepEqual([approved.status, approved.body.departmentIds], [200, [second]]);
      }
      assert.equal((await s.post('/api/auth/switch-tenant', { tenantId: bank })).status, 200);
      const names = ((await s.get('/api/containers')).body as { name: string }[]).map((c) => c.name).sort();
      assert.deepEqual(names, mode === 'open' ? ['Firmen', 'Privat'] : ['Firmen'], mode);
      assert.equal((await s.get(`/api/containers/${inFirst.id}`)).status, mode === 'open' ? 200 : 404, mode);
    }
  });
});
