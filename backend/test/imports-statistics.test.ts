import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';

const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-spool-stats-'));
const template = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures/calculations/segmentation-template.json'), 'utf8'));
let t: TestKontor;
let c: Client;

before(async () => {
  t = await startTestKontor({ spoolDir });
  const user = await createTenantWithUser(t, { roles: ['analyst'], modules: ['segmentation', 'leasing'] });
  c = new Client(t.url);
  await c.login(user.email, user.password);
});
after(async () => {
  await t.close();
  fs.rmSync(spoolDir, { recursive: true, force: true });
});

async function imported(containerId: string, kind: string, body: string): Promise<void> {
  const res = await fetch(`${t.url}/api/containers/${containerId}/imports/${kind}`, {
    method: 'POST', headers: { origin: t.url, cookie: c.cookie!, 'content-type': 'text/csv' }, body,
  });
  assert.equal(res.status, 202);
  await t.kontor.imports.idle();
}

async function runMs(containerId: string, templateId: string): Promise<number> {
  const started = performance.now();
  const res = await c.post('/api/calculations', { containerId, kind: 'segmentation', templateId });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  await t.kontor.calculations.idle();
  assert.equal((await c.get(`/api/calculations/${res.body.id}`)).body.status, 'succeeded');
  return performance.now() - started;
}

describe('statistics after an import', () => {
  it('a calculation right after a fresh import runs about as fast as the same calculation later', async () => {
    const groups = 3000;
    const cg = ['group_id;kind;customer_type;branch;postcode;age;industry;turnover;rating;negative_flag;online_logins_12m'];
    const products = ['group_id;product_group;balance;balance_avg;count'];
    for (let i = 0; i < groups; i++) {
      const id = `G${String(i).padStart(6, '0')}`;
      cg.push(i % 3 ? `${id};PK;100;${i % 40};12345;${18 + (i % 60)};;;;${i % 50 ? 0 : 1};${i % 90}` : `${id};FK;400;${i % 40};54321;-1;49.41;${i * 10};5;0;3`);
      products.push(`${id};GIRO;${i % 7000};${i % 6000};1`, `${id};SAVINGS;${i * 3};${i * 2};1`);
    }
    const tpl = await c.post('/api/segmentation/templates', { ...template, name: 'Statistik' });
    assert.equal(tpl.status, 201, JSON.stringify(tpl.body));
    const id = (await c.post('/api/containers', { name: 'Frisch' })).body.id as string;
    await imported(id, 'customer_groups', cg.join('\n'));
    await imported(id, 'products', products.join('\n'));
    const atOnce = await runMs(id, tpl.body.id);
    // What autovacuum would do a minute later: the second run plans with current statistics.
    await t.owner.raw('analyze customer_groups, products, payments');
    const later = await runMs(id, tpl.body.id);
    console.log(`calculation at once ${atOnce.toFixed(0)} ms, a second time ${later.toFixed(0)} ms (${groups} groups)`);
    assert.ok(atOnce < later * 5, `at once ${atOnce.toFixed(0)} ms, a second time ${later.toFixed(0)} ms`);
  });
});
