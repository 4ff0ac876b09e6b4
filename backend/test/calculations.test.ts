import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { failJoblessWork } from '../src/jobs/startup-cleanup.js';
import { addJob } from '../src/jobs/jobs-store.js';
import { inTenant, inWholeTenant } from '../src/db/tenant-transaction.js';
import { BUILTIN_TEMPLATES } from '../src/calculations/definitions.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { customRole } from './helpers/tenancy.js';
import { defaultDepartment } from './helpers/departments.js';

const fixtures = path.join(import.meta.dirname, 'fixtures/calculations');
const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-spool-calc-'));
const BOTH = ['segmentation', 'leasing'];
let t: TestKontor;
let analyst: TestUser;
let c: Client;
/** The fixture container of about 40 groups chosen to hit every rule boundary (see the fixture files). */
let fixtureContainer: string;
let templateId: string;

async function signIn(user: TestUser): Promise<Client> {
  const client = new Client(t.url);
  assert.equal((await client.login(user.email, user.password)).status, 200);
  return client;
}

async function upload(client: Client, containerId: string, kind: string, body: string): Promise<void> {
  const res = await fetch(`${t.url}/api/containers/${containerId}/imports/${kind}`, {
    method: 'POST', headers: { origin: t.url, cookie: client.cookie!, 'content-type': 'text/csv' }, body,
  });
  assert.equal(res.status, 202);
  const { id } = (await res.json()) as { id: string };
  await t.kontor.imports.idle();
  const done = await client.get(`/api/imports/${id}`);
  assert.equal(done.body.status, 'succeeded', JSON.stringify(done.body.errors));
}

async function filledContainer(client: Client, files: Record<string, string>): Promise<string> {
  const res = await client.post('/api/containers', { name: `Bestand ${Math.random().toString(36).slice(2, 8)}` });
  assert.equal(res.status, 201);
  for (const kind of ['customer_groups', 'products', 'payments']) if (files[kind] !== undefined) await upload(client, res.body.id, kind, files[kind]);
  return res.body.id as string;
}

function fixture(name: string): string {
  return fs.readFileSync(path.join(fixtures, name), 'utf8');
}

/** Starts a run, waits for the queue, returns the finished run. */
async function calculated(body: Record<string, unknown>, client = c): Promise<any> {
  const res = await client.post('/api/calculations', body);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  await t.kontor.calculations.idle();
  return (await client.get(`/api/calculations/${res.body.id}`)).body;
}

async function auditTypes(tenantId: string, type: string): Promise<Record<string, unknown>[]> {
  return inWholeTenant(t.owner, tenantId, (trx) => trx('audit_events').where({ tenant_id: tenantId, type }).orderBy('id').pluck('details'));
}

before(async () => {
  t = await startTestKontor({ spoolDir });
  analyst = await createTenantWithUser(t, { roles: ['analyst'], modules: BOTH });
  c = await signIn(analyst);
  fixtureContainer = await filledContainer(c, {
    customer_groups: fixture('customer_groups.csv'), products: fixture('products.csv'), payments: fixture('payments.csv'),
  });
  const created = await c.post('/api/segmentation/templates', JSON.parse(fixture('segmentation-template.json')));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  templateId = created.body.id;
});
after(async () => {
  await t.close();
  fs.rmSync(spoolDir, { recursive: true, force: true });
});

describe('segmentation', () => {
  it('the hand-computed fixture: the export matches the expected file byte for byte', async () => {
    const run = await calculated({ containerId: fixtureContainer, kind: 'segmentation', templateId });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.progress, 1);
    const res = await fetch(`${t.url}/api/calculations/${run.id}/export.csv`, { headers: { cookie: c.cookie! } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/csv; charset=utf-8/);
    assert.match(res.headers.get('content-disposition')!, /^attachment; filename="segmentation-/);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), fs.readFileSync(path.join(fixtures, 'expected-segmentation.csv')));
  });

  it('the summary counts every template segment (empty ones too), volumes and the branch matrix', async () => {
    const run = await calculated({ containerId: fixtureContainer, kind: 'segmentation', templateId });
    const { body } = await c.get(`/api/calculations/${run.id}/summary`);
    assert.equal(body.total, 41);
    const byName = Object.fromEntries(body.segments.map((s: any) => [s.segment, s]));
    assert.deepEqual(body.segments.map((s: any) => s.segment), ['Negativ', 'Ohne Produkte', 'Inaktiv', 'Jung', 'Vermögend', 'Mittel', 'FK groß', 'FK klein', 'PK Rest', 'unassigned']);
    assert.deepEqual([byName['Vermögend'].count, byName['Vermögend'].volume], [1, '100000.00'], 'volume over the segment\'s product groups only');
    assert.deepEqual([byName['Mittel'].count, byName['Mittel'].volume], [3, '124999.99'], 'a negative loan balance reduces the volume');
    assert.equal(byName['unassigned'].count, 3);
    assert.deepEqual(body.branches, ['B1', 'B2']);
    const cell = body.matrix.find((m: any) => m.segment === 'FK klein' && m.branch === 'B1');
    assert.equal(cell.count, 7);
  });

  it('a template in use is kept as it was used: editing or deleting it changes no finished run', async () => {
    const tpl = await c.post('/api/segmentation/templates', { name: 'Kurzlebig', segments: [{ name: 'Alle', kut: 1, kind: 'ALL', type: 'normal' }] });
    const run = await calculated({ containerId: fixtureContainer, kind: 'segmentation', templateId: tpl.body.id });
    const changed = await c.request('PUT', `/api/segmentation/templates/${tpl.body.id}`, { name: 'Kurzlebig', segments: [{ name: 'Niemand', kut: 2, kind: 'PK', type: 'negative' }] });
    assert.equal(changed.status, 200);
    assert.equal((await c.delete(`/api/segmentation/templates/${tpl.body.id}`)).status, 204);
    const after = (await c.get(`/api/calculations/${run.id}`)).body;
    assert.equal(after.definition.segments[0].name, 'Alle');
    const summary = (await c.get(`/api/calculations/${run.id}/summary`)).body;
    assert.deepEqual(summary.segments.map((s: any) => [s.segment, s.count]), [['Alle', 41], ['unassigned', 0]]);
  });

  it('shipped templates are listed, usable and read-only', async () => {
    const list = (await c.get('/api/segmentation/templates')).body;
    assert.deepEqual(list.filter((x: any) => x.builtin).map((x: any) => x.id), BUILTIN_TEMPLATES.map((b) => b.id));
    const run = await calculated({ containerId: fixtureContainer, kind: 'segmentation', templateId: BUILTIN_TEMPLATES[0]!.id });
    assert.equal(run.status, 'succeeded');
    assert.equal(run.templateName, 'Privatkunden (Standard)');
    const put = await c.request('PUT', `/api/segmentation/templates/${BUILTIN_TEMPLATES[0]!.id}`, BUILTIN_TEMPLATES[0]!.definition);
    assert.equal(put.status, 409);
    assert.equal(put.body.error.code, 'builtin_template');
  });

  it('invalid templates answer 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'X', segments: [] }, 'template.segments'],
      [{ name: 'X', segments: [{ name: 'A', kut: 10, kind: 'PK', type: 'normal' }] }, 'template.segments.0.kut'],
      [{ name: 'X', segments: [{ name: 'A', kut: 1, kind: 'XX', type: 'normal' }] }, 'template.segments.0.kind'],
      [{ name: 'X', segments: [{ name: 'A', kut: 1, kind: 'PK', type: 'sleepy' }] }, 'template.segments.0.type'],
      [{ name: 'X', segments: [{ name: 'A', kut: 1, kind: 'PK', type: 'normal', rules: { ageMin: 30, ageMax: 20 } }] }, 'template.segments.0.rules.ageMax'],
      [{ name: 'X', segments: [{ name: 'A', kut: 1, kind: 'PK', type: 'normal', rules: { volumeGroups: ['GOLD'] } }] }, 'template.segments.0.rules.volumeGroups.0'],
      [{ name: 'X', segments: [{ name: 'A', kut: 1, kind: 'PK', type: 'normal', rules: { colour: 'red' } }] }, 'template.segments.0.rules'],
      [{ name: 'X', segments: [{ name: '=HYPERLINK("x")', kut: 1, kind: 'PK', type: 'normal' }] }, 'template.segments.0.name'],
      [{ name: 'X', segments: [{ name: 'A;B', kut: 1, kind: 'PK', type: 'normal' }] }, 'template.segments.0.name'],
      [{ name: 'X', segments: [{ name: 'A', kut: 1, kind: 'PK', type: 'normal' }, { name: 'A', kut: 2, kind: 'FK', type: 'normal' }] }, 'template.segments'],
    ];
    for (const [body, field] of cases) {
      const res = await c.post('/api/segmentation/templates', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.field, field, JSON.stringify(res.body));
    }
  });
});

describe('leasing potential', () => {
  it('the hand-computed fixture: the export matches the expected file byte for byte (rounding at .5 included)', async () => {
    const run = await calculated({ containerId: fixtureContainer, kind: 'leasing' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.resultsCount, 22);
    const res = await fetch(`${t.url}/api/calculations/${run.id}/export.csv`, { headers: { cookie: c.cookie! } });
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), fs.readFileSync(path.join(fixtures, 'expected-leasing.csv')));
    assert.equal(run.definition.weights.leasingOther, 40, 'the run stores the parameters it used');
  });

  it('the summary: 10-point histogram, classes, industry sections and customer types', async () => {
    const run = await calculated({ containerId: fixtureContainer, kind: 'leasing' });
    const s = (await c.get(`/api/calculations/${run.id}/summary`)).body;
    // Scores 85,45,35,35,10,100,15,90,35,65,75,10,30,30,50,60,25,60,25,30,10,30
    assert.deepEqual(s.histogram, [0, 4, 2, 7, 1, 1, 3, 1, 1, 2]);
    assert.deepEqual(s.classes.map((x: any) => [x.class, x.count]), [['A', 4], ['B', 4], ['C', 8], ['D', 6]]);
    assert.equal(s.total.potential, '2669511');
    const h = s.bySection.find((x: any) => x.section === 'H');
    assert.deepEqual([h.count, h.potential], [4, '15']);
    assert.equal(s.bySection.find((x: any) => x.section === null).count, 7, 'no industry (2) or a division WZ 2008 does not have (04, 34, 44, 48, 89)');
    assert.equal(s.byCustomerType.length, 22);
  });

  it('parameters change the result as documented', async () => {
    const run = await calculated({
      containerId: fixtureContainer, kind: 'leasing',
      params: { ratingMax: 18, weights: { leasingOther: 0 }, classBounds: { A: 40, B: 30, C: 20 }, potentialRates: { high: 0.1 } },
    });
    assert.equal(run.status, 'succeeded');
    assert.equal(run.resultsCount, 24, 'ratingMax 18 admits ratings 11 and 18');
    assert.deepEqual(run.definition.weights.turnover, [5, 10, 20, 25], 'defaults fill what is not given');
    const csv = (await c.get(`/api/calculations/${run.id}/export.csv`)).body as string;
    const line = (id: string) => csv.split('\n').find((l) => l.startsWith(`${id};`));
    assert.equal(line('F02'), 'F02;45;A;90000', 'no leasing points; high rate 0.1: 2 000 000 × 0.1 × 45 %');
    assert.equal(line('F09'), 'F09;30;B;7500', 'rating 11 admitted: 249 999.99 × 0.1 × 30 % = 7 499.9997');
    assert.equal(line('F06'), 'F06;10;D;0');
  });

  it('invalid parameters answer 400 naming the field, and start nothing', async () => {
    const cases: [unknown, string][] = [
      [{ ratingMax: 0 }, 'params.ratingMax'],
      [{ weights: { turnover: [5, 10, 20] } }, 'params.weights.turnover'],
      [{ weights: { leasingOther: 80 } }, 'params.weights'],
      [{ turnoverBounds: [1000, 500, 2000] }, 'params.turnoverBounds'],
      [{ classBounds: { A: 30, B: 50, C: 10 } }, 'params.classBounds'],
      [{ potentialRates: { high: 1.5 } }, 'params.potentialRates.high'],
      [{ potentialRates: { high: 0.0000001 } }, 'params.potentialRates.high'],
      [{ colour: 'red' }, 'params'],
    ];
    const before = (await c.get(`/api/calculations?containerId=${fixtureContainer}`)).body.length;
    for (const [params, field] of cases) {
      const res = await c.post('/api/calculations', { containerId: fixtureContainer, kind: 'leasing', params });
      assert.equal(res.status, 400, JSON.stringify(params));
      assert.equal(res.body.error.field, field, JSON.stringify(res.body));
    }
    assert.equal((await c.get(`/api/calculations?containerId=${fixtureContainer}`)).body.length, before);
    const noTemplate = await c.post('/api/calculations', { containerId: fixtureContainer, kind: 'segmentation' });
    assert.equal(noTemplate.body.error.field, 'templateId');
  });
});

describe('calculation runs', () => {
  it('history lists kind, template, user, start, end and duration; start and end are audited', async () => {
    const id = await filledContainer(c, { customer_groups: fixture('customer_groups.csv') });
    await calculated({ containerId: id, kind: 'segmentation', templateId });
    t.clock.advanceMinutes(1);
    await calculated({ containerId: id, kind: 'leasing' });
    const history = (await c.get(`/api/calculations?containerId=${id}`)).body;
    assert.deepEqual(history.map((h: any) => h.kind), ['leasing', 'segmentation']);
    for (const h of history) {
      assert.equal(h.createdBy.id, analyst.id);
      assert.ok(h.startedAt && h.finishedAt && h.durationMs >= 0);
    }
    assert.equal(history[1].templateName, 'Prüfvorlage');
    const ended = await auditTypes(analyst.tenantId, 'calculation.succeeded');
    const mine = ended.find((d) => d.calculation === history[0].id)!;
    assert.equal(mine.groups, 41);
    assert.equal(typeof mine.durationMs, 'number');
    assert.ok((await auditTypes(analyst.tenantId, 'calculation.started')).some((d) => d.calculation === history[0].id));
    const container = (await c.get(`/api/containers/${id}`)).body;
    assert.ok(container.lastCalculatedAt);
  });

  it('one running calculation per container (409); a container with results cannot be deleted (409 has_results)', async () => {
    const id = await filledContainer(c, { customer_groups: fixture('customer_groups.csv') });
    // The container row held (NO KEY UPDATE: the requests' own key checks still pass) keeps the first
    // run waiting for its share lock, so the second request surely meets it running.
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => { locked = r; });
    const holder = inWholeTenant(t.owner, analyst.tenantId, async (trx) => {
      await trx.raw('select 1 from containers where tenant_id = ? and id = ? for no key update', [analyst.tenantId, id]);
      locked();
      await released;
    });
    await isLocked;
    let first: Awaited<ReturnType<typeof c.post>>;
    let second: Awaited<ReturnType<typeof c.post>>;
    try {
      first = await c.post('/api/calculations', { containerId: id, kind: 'leasing' });
      second = await c.post('/api/calculations', { containerId: id, kind: 'segmentation', templateId });
    } finally {
      release();
      await holder;
    }
    assert.equal(first.status, 202);
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'calculation_running');
    await t.kontor.calculations.idle();
    const del = await c.delete(`/api/containers/${id}`);
    assert.equal(del.status, 409);
    assert.equal(del.body.error.code, 'has_results');
    assert.equal((await c.delete(`/api/calculations/${first.body.id}`)).status, 204);
    assert.equal((await c.get(`/api/calculations/${first.body.id}`)).status, 404);
    assert.equal((await c.delete(`/api/containers/${id}`)).status, 204);
  });

  it('an empty container cannot be calculated (409 no_data)', async () => {
    const id = (await c.post('/api/containers', { name: 'leer' })).body.id;
    const res = await c.post('/api/calculations', { containerId: id, kind: 'leasing' });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'no_data');
  });

  it('a failure is recorded with a clear reason and leaves no partial results', async () => {
    const slow = await startTestKontor({ spoolDir, calculationTimeoutMs: 1 });
    try {
      const client = new Client(slow.url);
      await client.login(analyst.email, analyst.password);
      const lines = ['group_id;kind;customer_type;branch;postcode;age;industry;turnover;rating;negative_flag;online_logins_12m'];
      for (let i = 0; i < 60_000; i++) lines.push(`G${i};FK;400;1;10115;-1;49.41;${i};;0;0`);
      const res = await client.post('/api/containers', { name: 'gross' });
      const up = await fetch(`${slow.url}/api/containers/${res.body.id}/imports/customer_groups`, {
        method: 'POST', headers: { origin: slow.url, cookie: client.cookie!, 'content-type': 'text/csv' }, body: lines.join('\n'),
      });
      assert.equal(up.status, 202);
      await slow.kontor.imports.idle();
      const started = await client.post('/api/calculations', { containerId: res.body.id, kind: 'leasing' });
      await slow.kontor.calculations.idle();
      const run = (await client.get(`/api/calculations/${started.body.id}`)).body;
      assert.equal(run.status, 'failed');
      assert.equal(run.error.code, 'timeout');
      assert.match(run.error.message, /No results were kept/);
      const left = await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('leasing_result_chunks').where({ tenant_id: analyst.tenantId, calculation_id: run.id }).count('* as n').first());
      assert.equal(Number(left!.n), 0);
      assert.equal((await client.get(`/api/calculations/${run.id}/summary`)).body.error.code, 'not_finished');
      const failed = await auditTypes(analyst.tenantId, 'calculation.failed');
      assert.equal(failed.find((d) => d.calculation === run.id)!.reason, 'timeout');
    } finally {
      await slow.close();
    }
  });

  it('a run without a job (left by a crash of an older version) is marked failed at start-up; runs with a job are left alone', async () => {
    const id = await filledContainer(c, { customer_groups: fixture('customer_groups.csv') });
    const runId = '00000000-0000-4000-8000-0000000000c1';
    const departmentId = await defaultDepartment(t.owner, analyst.tenantId);
    await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('calculations').insert({
      tenant_id: analyst.tenantId, department_id: departmentId, id: runId, container_id: id, kind: 'leasing', definition: '{}', status: 'running', created_at: new Date(),
    }));
    const queued = '00000000-0000-4000-8000-0000000000c2';
    const other = await filledContainer(c, { customer_groups: fixture('customer_groups.csv') });
    await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('calculations').insert({
      tenant_id: analyst.tenantId, department_id: departmentId, id: queued, container_id: other, kind: 'leasing', definition: '{}', status: 'queued', created_at: new Date(),
    }));
    // The queued one has its job, in a namespace nobody works on.
    await inTenant(t.db, analyst.tenantId, (trx) => addJob(trx, { identifier: 'parked:calculation', payload: { tenantId: analyst.tenantId, calculationId: queued }, queueName: 'parked' }));
    assert.ok((await failJoblessWork(t.db, t.clock, 'parked', [analyst.tenantId])) >= 1);
    const run = (await c.get(`/api/calculations/${runId}`)).body;
    assert.deepEqual([run.status, run.error.code], ['failed', 'interrupted']);
    assert.equal((await c.get(`/api/calculations/${queued}`)).body.status, 'queued');
    await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('calculations').where({ id: queued }).delete());
  });

  it('an import waits while a calculation runs on its container (409 calculation_running)', async () => {
    const id = await filledContainer(c, { customer_groups: fixture('customer_groups.csv') });
    await c.post('/api/calculations', { containerId: id, kind: 'leasing' });
    const res = await fetch(`${t.url}/api/containers/${id}/imports/customer_groups`, {
      method: 'POST', headers: { origin: t.url, cookie: c.cookie!, 'content-type': 'text/csv' }, body: fixture('customer_groups.csv'),
    });
    assert.equal(res.status, 409);
    assert.equal(((await res.json())).error.code, 'calculation_running');
    await t.kontor.calculations.idle();
  });
});

describe('customer-level results', () => {
  let runId: string;
  before(async () => {
    runId = (await calculated({ containerId: fixtureContainer, kind: 'leasing' })).id;
  });

  it('rows are paged, filtered and sorted, and every read is audited with its row count', async () => {
    const page = (await c.get(`/api/calculations/${runId}/rows?pageSize=5&sort=potential`)).body;
    assert.equal(page.total, 22);
    assert.deepEqual(page.items.map((r: any) => r.group_id), ['F07', 'F10', 'F17', 'F02', 'F11']);
    const classA = (await c.get(`/api/calculations/${runId}/rows?class=A`)).body;
    assert.deepEqual(classA.items.map((r: any) => r.group_id), ['F02', 'F07', 'F10', 'F13']);
    const prefix = (await c.get(`/api/calculations/${runId}/rows?groupId=F1`)).body;
    assert.equal(prefix.total, 10);
    const viewed = await auditTypes(analyst.tenantId, 'calculation.rows_viewed');
    assert.deepEqual(viewed.slice(-3).map((d) => d.rows), [5, 4, 10]);
    assert.ok(viewed.every((d) => !JSON.stringify(d).includes('F07')), 'no customer data in the audit log');
  });

  it('exports are audited: who, which calculation, how many rows', async () => {
    await c.get(`/api/calculations/${runId}/export.csv`);
    const exported = await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('audit_events').where({ tenant_id: analyst.tenantId, type: 'calculation.exported', subject_id: runId }).first());
    assert.equal(exported.actor_user_id, analyst.id);
    assert.equal(exported.details.rows, 22);
  });

  it('without the export right: rows and export answer 403 and the denial is audited; the summary stays readable', async () => {
    const reader = await addUser(t, analyst.tenantId, { roles: ['reader'] });
    const rc = await signIn(reader);
    assert.equal((await rc.get(`/api/calculations/${runId}/summary`)).status, 200);
    for (const route of ['rows', 'export.csv']) {
      const res = await rc.get(`/api/calculations/${runId}/${route}`);
      assert.equal(res.status, 403);
    }
    const denials = await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('audit_events').where({ tenant_id: analyst.tenantId, type: 'access.denied', actor_user_id: reader.id }).pluck('details'));
    assert.deepEqual(denials.map((d: any) => d.missing), ['export:read', 'export:read']);
  });

  it('the right of the calculation\'s kind is required on every route of it, and its module', async () => {
    const role = await customRole(t.owner, ['containers:read', 'export:read', 'segmentation:read']);
    const person = await addUser(t, analyst.tenantId, { roles: [] });
    await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('membership_roles').insert({ tenant_id: analyst.tenantId, user_id: person.id, role_id: role }));
    const pc = await signIn(person);
    for (const route of ['', '/summary', '/rows', '/export.csv']) {
      const res = await pc.get(`/api/calculations/${runId}${route}`);
      assert.equal(res.status, 403, route);
    }
    const denied = await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('audit_events').where({ tenant_id: analyst.tenantId, type: 'access.denied', actor_user_id: person.id }).pluck('details'));
    assert.ok(denied.every((d: any) => d.missing === 'leasing:read'));
    assert.equal((await pc.get(`/api/calculations?containerId=${fixtureContainer}`)).body.some((h: any) => h.kind === 'leasing'), false, 'the history hides kinds the user may not read');
    // A bank without the leasing licence.
    const other = await createTenantWithUser(t, { roles: ['analyst'], modules: ['segmentation'] });
    const oc = await signIn(other);
    const cid = await filledContainer(oc, { customer_groups: fixture('customer_groups.csv') });
    const res = await oc.post('/api/calculations', { containerId: cid, kind: 'leasing' });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'module_not_licensed');
  });

  it('a calculation of another bank is 404 on every route', async () => {
    const other = await createTenantWithUser(t, { roles: ['analyst'], modules: BOTH });
    const oc = await signIn(other);
    for (const [method, route] of [['GET', ''], ['GET', '/summary'], ['GET', '/rows'], ['GET', '/export.csv'], ['DELETE', '']] as const) {
      const res = await oc.request(method, `/api/calculations/${runId}${route}`);
      assert.equal(res.status, 404, `${method} ${route}`);
    }
    assert.equal((await oc.get(`/api/calculations?containerId=${fixtureContainer}`)).status, 404);
    assert.equal((await oc.post('/api/calculations', { containerId: fixtureContainer, kind: 'leasing' })).status, 404);
    assert.equal((await oc.get(`/api/segmentation/templates/${templateId}`)).status, 404);
  });
});
