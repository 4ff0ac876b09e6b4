import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';

const fixtures = path.join(import.meta.dirname, 'fixtures/imports');
const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-spool-test-'));
let t: TestKontor;
let analyst: TestUser;
let c: Client;

before(async () => {
  t = await startTestKontor({ spoolDir, importMaxBytes: 64 * 1024 });
  analyst = await createTenantWithUser(t, { roles: ['analyst'] });
  c = new Client(t.url);
  await c.login(analyst.email, analyst.password);
});
after(async () => {
  await t.close();
  fs.rmSync(spoolDir, { recursive: true, force: true });
});

/** The spool's files once aborted uploads had time to notice (a loaded machine needs more than a few ms); a leak stays. */
async function spoolAfterSettling(): Promise<string[]> {
  const deadline = Date.now() + 5000;
  while (fs.readdirSync(spoolDir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return fs.readdirSync(spoolDir);
}

async function container(client = c): Promise<string> {
  const res = await client.post('/api/containers', { name: `Bestand ${Math.random().toString(36).slice(2, 8)}` });
  assert.equal(res.status, 201);
  return res.body.id as string;
}

async function upload(containerId: string, kind: string, fixture: string, client = c, contentType = 'text/csv; charset=utf-8') {
  const res = await fetch(`${t.url}/api/containers/${containerId}/imports/${kind}`, {
    method: 'POST', headers: { origin: t.url, cookie: client.cookie!, 'content-type': contentType }, body: fs.readFileSync(path.join(fixtures, fixture)),
  });
  return { status: res.status, body: (await res.json()) };
}

async function finished(importId: string, client = c): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const res = await client.get(`/api/imports/${importId}`, { 'x-kontor-background': '1' });
    if (res.body.status === 'succeeded' || res.body.status === 'failed') return res.body;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail('import did not finish');
}

async function imported(containerId: string, kind: string, fixture: string, client = c): Promise<any> {
  const res = await upload(containerId, kind, fixture, client);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return finished(res.body.id, client);
}

async function counts(containerId: string): Promise<unknown> {
  return (await c.get(`/api/containers/${containerId}`)).body.counts;
}

describe('containers', () => {
  it('are created, renamed, locked and deleted; names are unique per bank; delete waits for unlock', async () => {
    const id = await container();
    const renamed = await c.request('PATCH', `/api/containers/${id}`, { name: 'Stichtag 2026-09-30', locked: true });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.locked, true);
    assert.equal((await c.post('/api/containers', { name: 'Stichtag 2026-09-30' })).status, 409);
    const del = await c.delete(`/api/containers/${id}`);
    assert.equal(del.status, 409);
    assert.equal(del.body.error.code, 'container_locked');
    await c.request('PATCH', `/api/containers/${id}`, { locked: false });
    assert.equal((await c.delete(`/api/containers/${id}`)).status, 204);
    assert.equal((await c.get(`/api/containers/${id}`)).status, 404);
  });
});

describe('imports', () => {
  it('a valid file round-trips: counts, typed values, decimal comma and BOM', async () => {
    const id = await container();
    const res = await imported(id, 'customer_groups', 'customer-groups-valid.csv');
    assert.equal(res.status, 'succeeded', JSON.stringify(res.errors));
    assert.equal(res.rowsImported, 3);
    assert.equal(res.rowsProcessed, 3);
    assert.equal(res.bytesProcessed, res.bytesTotal);
    assert.equal((await imported(id, 'products', 'products-valid.csv')).status, 'succeeded');
    assert.equal((await imported(id, 'payments', 'payments-valid.csv')).status, 'succeeded');
    assert.deepEqual(await counts(id), { customerGroups: 3, products: 3, payments: 2 });
    const g2 = await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('customer_groups').where({ container_id: id, group_id: 'G002' }).first());
    assert.equal(g2.turnover, '1234567.89');
    assert.equal(g2.age, -1);
    assert.equal(g2.rating, 7);
    assert.equal(g2.negative_flag, false);
    const g1 = await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('customer_groups').where({ container_id: id, group_id: 'G001' }).first());
    assert.equal(g1.industry, null);
    assert.equal(g1.turnover, null);
    const p = await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('products').where({ container_id: id, group_id: 'G002', product_group: 'INVESTMENT_LOAN' }).first());
    assert.equal(p.balance_avg, '-240000.10');
    assert.equal(p.line, 3);
  });

  const failing: [string, string, { line: number | null; column: string | null; code: string }[]][] = [
    ['customer-groups-ragged-row.csv', 'customer_groups', [{ line: 3, column: null, code: 'ragged_row' }]],
    ['customer-groups-duplicate-group.csv', 'customer_groups', [{ line: 3, column: 'group_id', code: 'duplicate_group' }]],
    ['customer-groups-unknown-column.csv', 'customer_groups', [{ line: 1, column: 'iban', code: 'unknown_column' }]],
    ['customer-groups-missing-column.csv', 'customer_groups', [{ line: 1, column: 'online_logins_12m', code: 'missing_column' }]],
    ['customer-groups-bad-values.csv', 'customer_groups', [{ line: 3, column: 'postcode', code: 'invalid_format' }, { line: 3, column: 'rating', code: 'out_of_range' }]],
    ['customer-groups-latin1.csv', 'customer_groups', [{ line: 2, column: 'branch', code: 'encoding' }]],
    ['customer-groups-nul-byte.csv', 'customer_groups', [{ line: 3, column: 'branch', code: 'nul_byte' }]],
    ['customer-groups-nul-header.csv', 'customer_groups', [{ line: 1, column: 'online_logins_12m\u2400', code: 'unknown_column' }, { line: 1, column: 'online_logins_12m', code: 'missing_column' }]],
    ['customer-groups-empty.csv', 'customer_groups', [{ line: null, column: null, code: 'empty_file' }]],
    ['products-unknown-group.csv', 'products', [{ line: 3, column: 'group_id', code: 'unknown_group' }]],
    ['payments-bad-category.csv', 'payments', [{ line: 3, column: 'category', code: 'invalid_value' }]],
    ['products-mixed-errors.csv', 'products', [{ line: 3, column: 'group_id', code: 'unknown_group' }, { line: 4, column: 'product_group', code: 'invalid_value' }]],
  ];
  for (const [fixture, kind, expected] of failing) {
    it(`${fixture}: fails with the exact line and code, and changes nothing`, async () => {
      const id = await container();
      if (kind !== 'customer_groups') await imported(id, 'customer_groups', 'customer-groups-valid.csv');
      const before = await counts(id);
      const res = await imported(id, kind, fixture);
      assert.equal(res.status, 'failed');
      assert.deepEqual(res.errors.map((e: any) => ({ line: e.line, column: e.column, code: e.code })), expected);
      assert.equal(res.errorCount, expected.length);
      assert.ok(res.errors.every((e: any) => typeof e.message === 'string' && e.message.length > 10));
      assert.equal(res.rowsImported, 0);
      assert.deepEqual(await counts(id), before, 'the container is unchanged');
    });
  }

  for (const [kind, fixture] of [['customer_groups', 'customer-groups-header-only.csv'], ['products', 'products-header-only.csv']]) {
    it(`a ${kind} file with a header and no data rows fails with empty_file and wipes nothing`, async () => {
      const id = await container();
      await imported(id, 'customer_groups', 'customer-groups-valid.csv');
      await imported(id, 'products', 'products-valid.csv');
      const before = await counts(id);
      const res = await imported(id, kind!, fixture!);
      assert.equal(res.status, 'failed');
      assert.deepEqual(res.errors.map((e: any) => ({ line: e.line, code: e.code })), [{ line: null, code: 'empty_file' }]);
      assert.deepEqual(await counts(id), before);
      const rows = await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('customer_groups').where({ container_id: id }).count({ n: '*' }));
      assert.equal(Number(rows[0]!.n), 3, 'the groups are still there');
    });
  }

  it('re-importing a kind replaces its rows; customer groups again clear products and payments', async () => {
    const id = await container();
    await imported(id, 'customer_groups', 'customer-groups-valid.csv');
    await imported(id, 'products', 'products-valid.csv');
    await imported(id, 'products', 'products-valid.csv');
    assert.deepEqual(await counts(id), { customerGroups: 3, products: 3, payments: 0 });
    await imported(id, 'customer_groups', 'customer-groups-valid.csv');
    assert.deepEqual(await counts(id), { customerGroups: 3, products: 0, payments: 0 });
  });

  it('enforces the order, the content type, the kind and the size limit', async () => {
    const id = await container();
    const early = await upload(id, 'products', 'products-valid.csv');
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, 'import_order');
    assert.equal((await upload(id, 'customer_groups', 'customer-groups-valid.csv', c, 'application/json')).status, 415);
    const badKind = await upload(id, 'addresses', 'customer-groups-valid.csv');
    assert.equal(badKind.status, 400);
    assert.equal(badKind.body.error.field, 'kind');
    const big = await fetch(`${t.url}/api/containers/${id}/imports/customer_groups`, {
      method: 'POST', headers: { origin: t.url, cookie: c.cookie!, 'content-type': 'text/csv' }, body: 'x'.repeat(70 * 1024),
    });
    assert.equal(big.status, 413);
    assert.deepEqual(fs.readdirSync(spoolDir), [], 'nothing spooled stays behind');
  });

  it('a dropped connection mid-upload leaves no file, no import and no data', async () => {
    const id = await container();
    const url = new URL(`${t.url}/api/containers/${id}/imports/customer_groups`);
    await new Promise<void>((resolve) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: {
        origin: t.url, cookie: c.cookie!, 'content-type': 'text/csv', 'content-length': 50_000,
      } });
      req.on('error', () => resolve());
      req.write(fs.readFileSync(path.join(fixtures, 'customer-groups-valid.csv')));
      setTimeout(() => {
        req.destroy();
        setTimeout(resolve, 300);
      }, 200);
    });
    assert.deepEqual(await spoolAfterSettling(), []);
    const rows = await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('imports').where({ container_id: id }).count({ n: '*' }));
    assert.equal(Number(rows[0]!.n), 0);
    assert.deepEqual(await counts(id), { customerGroups: 0, products: 0, payments: 0 });
  });

  it('slow uploads hold no database connection: six stalled ones do not block anyone', async () => {
    const id = await container();
    const url = new URL(`${t.url}/api/containers/${id}/imports/customer_groups`);
    const stalled = Array.from({ length: 6 }, () => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: {
        origin: t.url, cookie: c.cookie!, 'content-type': 'text/csv', 'content-length': 50_000,
      } });
      req.on('error', () => undefined);
      req.write('group_id;kind');
      return req;
    });
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const res = await c.get('/api/containers');
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started < 3000, 'a request waited for a pooled connection');
    stalled.forEach((r) => r.destroy());
    assert.deepEqual(await spoolAfterSettling(), [], 'aborted uploads leave nothing');
  });

  it('a refused upload is never written to disk', async () => {
    const reader = await createTenantWithUser(t, { roles: ['reader'] });
    const rc = new Client(t.url);
    await rc.login(reader.email, reader.password);
    const id = await container();
    const res = await upload(id, 'customer_groups', 'customer-groups-valid.csv', rc);
    assert.equal(res.status, 403, 'no write right: refused before the body is read');
    const locked = await container();
    await c.request('PATCH', `/api/containers/${locked}`, { locked: true });
    assert.equal((await upload(locked, 'customer_groups', 'customer-groups-valid.csv')).status, 409);
    assert.deepEqual(await spoolAfterSettling(), []);
  });

  it('two banks importing at once stay apart, and neither can see the other’s container or import', async () => {
    const other = await createTenantWithUser(t, { roles: ['analyst'] });
    const oc = new Client(t.url);
    await oc.login(other.email, other.password);
    const mine = await container();
    const theirs = await container(oc);
    const [a, b] = await Promise.all([upload(mine, 'customer_groups', 'customer-groups-valid.csv'), upload(theirs, 'customer_groups', 'customer-groups-duplicate-group.csv', oc)]);
    assert.equal((await finished(a.body.id)).status, 'succeeded');
    assert.equal((await finished(b.body.id, oc)).status, 'failed');
    assert.equal((await c.get(`/api/imports/${b.body.id}`)).status, 404);
    assert.equal((await c.get(`/api/containers/${theirs}`)).status, 404);
    assert.equal((await upload(theirs, 'customer_groups', 'customer-groups-valid.csv')).status, 404);
    assert.deepEqual((await oc.get(`/api/containers/${theirs}`)).body.counts, { customerGroups: 0, products: 0, payments: 0 });
  });

  it('audits start and end with counts only, never cell contents', async () => {
    const id = await container();
    const res = await imported(id, 'customer_groups', 'customer-groups-valid.csv');
    const events = await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('audit_events').where({ subject_id: id }).orderBy('id').select('type', 'details'));
    assert.deepEqual(events.map((e) => e.type), ['container.created', 'import.started', 'import.succeeded']);
    assert.equal(events[2].details.rows, 3);
    assert.equal(events[2].details.import, res.id);
    assert.ok(!JSON.stringify(events).includes('G001'));
    assert.ok(!t.logLines.join('').includes('G00'), 'no customer data in the log');
  });

  it('a reader may look but not import', async () => {
    const reader = new Client(t.url);
    const r = await createTenantWithUser(t, { roles: ['reader'] });
    await reader.login(r.email, r.password);
    assert.equal((await reader.get('/api/containers')).status, 200);
    assert.equal((await reader.post('/api/containers', { name: 'nope' })).status, 403);
  });
});
