import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';

const fixtures = path.join(import.meta.dirname, 'fixtures/sniff');
const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-spool-sniff-'));
let t: TestKontor;
let c: Client;
let container: string;

/** Uploads a real file as the browser does (text/csv), waits for the import, returns it. */
async function imported(kind: string, file: string): Promise<any> {
  const res = await fetch(`${t.url}/api/containers/${container}/imports/${kind}`, {
    method: 'POST', headers: { origin: t.url, cookie: c.cookie!, 'content-type': 'text/csv' }, body: fs.readFileSync(path.join(fixtures, file)),
  });
  assert.equal(res.status, 202, await res.clone().text());
  const { id } = (await res.json()) as { id: string };
  await t.kontor.imports.idle();
  return (await c.get(`/api/imports/${id}`)).body;
}

const counts = async () => (await c.get(`/api/containers/${container}`)).body.counts;

before(async () => {
  t = await startTestKontor({ spoolDir });
  const analyst = await createTenantWithUser(t, { roles: ['analyst'], modules: ['segmentation', 'leasing'] });
  c = new Client(t.url);
  assert.equal((await c.login(analyst.email, analyst.password)).status, 200);
  container = (await c.post('/api/containers', { name: 'Sniff' })).body.id;
  assert.equal((await imported('customer_groups', 'customer_groups.csv')).status, 'succeeded');
});
after(async () => {
  await t.close();
  fs.rmSync(spoolDir, { recursive: true, force: true });
});

describe('imports say what a wrong file is (issue 15 item 5)', () => {
  for (const [file, format] of [['logo.png', 'PNG'], ['kundengruppen.xlsx', 'XLSX'], ['bericht.pdf', 'PDF']] as const) {
    it(`${file}: not_csv (${format}), one error for the whole file, nothing changed`, async () => {
      const before = await counts();
      const run = await imported('customer_groups', file);
      assert.equal(run.status, 'failed');
      assert.equal(run.errorCount, 1);
      assert.deepEqual(run.errors.map((e: any) => [e.code, e.line, e.params]), [['not_csv', null, { format }]]);
      assert.match(run.errors[0].message, /^This is not a CSV file/);
      assert.deepEqual(await counts(), before);
    });
  }

  for (const [file, reason] of [['customer_groups_comma.csv', 'comma'], ['customer_groups_tab.csv', 'tab']] as const) {
    it(`${file}: wrong_separator (${reason})`, async () => {
      const run = await imported('customer_groups', file);
      assert.deepEqual(run.errors.map((e: any) => [e.code, e.reason]), [['wrong_separator', reason]]);
      assert.match(run.errors[0].message, /Kontor expects ; as separator/);
    });
  }

  it('a products file in the customer-groups slot, and a customer-groups file in the products slot: wrong_kind', async () => {
    const before = await counts();
    const products = await imported('customer_groups', 'products.csv');
    assert.deepEqual(products.errors.map((e: any) => [e.code, e.reason]), [['wrong_kind', 'products']]);
    assert.match(products.errors[0].message, /^This looks like a products file/);
    const groups = await imported('products', 'customer_groups.csv');
    assert.deepEqual(groups.errors.map((e: any) => [e.code, e.reason]), [['wrong_kind', 'customer_groups']]);
    assert.deepEqual(await counts(), before, 'the earlier import stays');
  });

  it('the right file in the right slot still imports', async () => {
    assert.equal((await imported('products', 'products.csv')).status, 'succeeded');
  });
});
