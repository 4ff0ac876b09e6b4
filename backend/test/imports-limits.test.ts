import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { seeAllDepartments } from '../src/db/tenant-transaction.js';

const fixtures = path.join(import.meta.dirname, 'fixtures/imports');
const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-spool-limits-'));
let t: TestKontor;
let analyst: TestUser;
let c: Client;

before(async () => {
  t = await startTestKontor({ spoolDir, importMaxBytes: 24 * 1024 ** 2, uploadLimits: { perUser: 2, perBank: 3, spoolReserveBytes: 0 } });
  analyst = await createTenantWithUser(t, { roles: ['analyst'] });
  c = await signIn(analyst);
});
after(async () => {
  await t.close();
  fs.rmSync(spoolDir, { recursive: true, force: true });
});

async function signIn(user: TestUser): Promise<Client> {
  const client = new Client(t.url);
  await client.login(user.email, user.password);
  return client;
}

async function container(client = c): Promise<string> {
  const res = await client.post('/api/containers', { name: `Bestand ${Math.random().toString(36).slice(2, 8)}` });
  assert.equal(res.status, 201);
  return res.body.id as string;
}

async function upload(client: Client, containerId: string, kind: string, body: Buffer | string) {
  const res = await fetch(`${t.url}/api/containers/${containerId}/imports/${kind}`, {
    method: 'POST', headers: { origin: t.url, cookie: client.cookie!, 'content-type': 'text/csv' }, body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  return { status: res.status, body: (await res.json()) };
}

async function finished(importId: string, client = c, timeoutMs = 60_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const res = await client.get(`/api/imports/${importId}`, { 'x-kontor-background': '1' });
    if (res.body.status === 'succeeded' || res.body.status === 'failed') return res.body;
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

/** Upload and import, timed from the first byte sent to the finished import. */
async function timedImport(client: Client, containerId: string, kind: string, body: Buffer | string): Promise<{ ms: number; result: any }> {
  const started = performance.now();
  const res = await upload(client, containerId, kind, body);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const result = await finished(res.body.id, client);
  return { ms: performance.now() - started, result };
}

/** An upload whose body is sent only in part until `finish`; `answered` resolves with the status. */
function heldUpload(client: Client, containerId: string, body: Buffer) {
  const url = new URL(`${t.url}/api/containers/${containerId}/imports/customer_groups`);
  const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: {
    origin: t.url, cookie: client.cookie!, 'content-type': 'text/csv', 'content-length': body.length,
  } });
  let bodyDone = false;
  const answered = new Promise<{ status: number; code: string | undefined; beforeBody: boolean }>((resolve) => {
    req.on('response', (res) => {
      const beforeBody = !bodyDone;
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, code: text ? JSON.parse(text).error?.code : undefined, beforeBody }));
    });
    req.on('error', () => resolve({ status: 0, code: undefined, beforeBody: !bodyDone }));
  });
  req.write(body.subarray(0, 100));
  return {
    answered,
    finish: () => {
      bodyDone = true;
      req.end(body.subarray(100));
    },
    abort: () => req.destroy(),
  };
}

/** The answers so far, once `count` have arrived (or 15 s have passed, for a slow shared machine). */
async function answers<T>(pending: Promise<T>[], count: number): Promise<(T | undefined)[]> {
  const got: (T | undefined)[] = pending.map(() => undefined);
  pending.forEach((p, i) => void p.then((v) => (got[i] = v)));
  for (let i = 0; i < 300 && got.filter((g) => g !== undefined).length < count; i++) await sleep(50);
  await sleep(300);
  return got;
}

const header = fs.readFileSync(path.join(fixtures, 'customer-groups-valid.csv'), 'utf8').split('\n')[0]!;

describe('import bounds', () => {
  it('a multi-MiB line without a line break fails at that line, in time linear in its length', async () => {
    const id = await container();
    const file = (mib: number) => Buffer.concat([Buffer.from(`${header}\nG001;PK;100;0815;12345;45;;;;0;12\n`), Buffer.alloc(mib * 1024 ** 2, 0x61)]);
    const small = file(4);
    const large = file(16);
    const runs: Record<string, number[]> = { small: [], large: [] };
    for (let i = 0; i < 2; i++) {
      for (const [name, body] of [['small', small], ['large', large]] as const) {
        const { ms, result } = await timedImport(c, id, 'customer_groups', body);
        assert.equal(result.status, 'failed');
        assert.deepEqual(result.errors.map((e: any) => ({ line: e.line, code: e.code, limit: e.params?.limit })), [{ line: 3, code: 'line_too_long', limit: 65536 }]);
        assert.ok(JSON.stringify(result).length < 2000, 'the answer does not echo the line');
        runs[name]!.push(ms);
      }
    }
    const ratio = Math.min(...runs.large!) / Math.min(...runs.small!);
    t.logLines.push(`line_too_long timing: 4 MiB ${Math.min(...runs.small!).toFixed(0)} ms, 16 MiB ${Math.min(...runs.large!).toFixed(0)} ms`);
    console.log(`line_too_long: 4 MiB ${Math.min(...runs.small!).toFixed(0)} ms, 16 MiB ${Math.min(...runs.large!).toFixed(0)} ms, ratio ${ratio.toFixed(2)}`);
    assert.ok(ratio < 6, `4× the bytes took ${ratio.toFixed(1)}× the time (quadratic would be 16×)`);
    assert.deepEqual((await c.get(`/api/containers/${id}`)).body.counts, { customerGroups: 0, products: 0, payments: 0 });
  });

  it('one bank’s held import does not delay another bank’s small import', async () => {
    const other = await createTenantWithUser(t, { roles: ['analyst'] });
    const oc = await signIn(other);
    const theirs = await container(oc);
    const valid = fs.readFileSync(path.join(fixtures, 'customer-groups-valid.csv'));
    const alone: number[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await timedImport(oc, theirs, 'customer_groups', valid);
      assert.equal(run.result.status, 'succeeded');
      alone.push(run.ms);
    }
    const baseline = Math.min(...alone);
    // Bank A's import is held at its end: the test holds the container row it must lock.
    const mine = await container();
    const hold = await t.owner.transaction();
    try {
      await hold.raw("select set_config('app.tenant_id', ?, true)", [analyst.tenantId]);
      await seeAllDepartments(hold, analyst.tenantId);
      // NO KEY UPDATE: the import's own row (a foreign key share lock) still goes in, its final FOR UPDATE waits.
      await hold.raw('select id from containers where tenant_id = ? and id = ? for no key update', [analyst.tenantId, mine]);
      const slow = await upload(c, mine, 'customer_groups', valid);
      assert.equal(slow.status, 202);
      for (let i = 0; i < 500 && (await c.get(`/api/imports/${slow.body.id}`)).body.status !== 'running'; i++) await sleep(10);
      const started = performance.now();
      const res = await upload(oc, theirs, 'customer_groups', valid);
      assert.equal(res.status, 202);
      const result = await finished(res.body.id, oc, Math.max(5000, baseline * 20));
      const waited = performance.now() - started;
      console.log(`cross-bank: alone ${baseline.toFixed(0)} ms, beside a held import ${waited.toFixed(0)} ms`);
      assert.equal(result?.status, 'succeeded', 'bank B waited behind bank A');
      assert.ok(waited < baseline * 8, `bank B took ${waited.toFixed(0)} ms beside bank A, ${baseline.toFixed(0)} ms alone`);
      assert.equal((await c.get(`/api/imports/${slow.body.id}`)).body.status, 'running');
    } finally {
      await hold.rollback();
    }
    await t.kontor.imports.idle();
  });

  it('echoed cells and stored errors are cut to 200 characters and marked; at most 100 errors are stored', async () => {
    const id = await container();
    const wide = `${'ü'.repeat(30_000)}x`;
    const res = await timedImport(c, id, 'customer_groups', `${header};${wide}\nG001;PK;100;0815;12345;45;;;;0;12\n`);
    const [error] = res.result.errors;
    assert.equal(error.code, 'unknown_column');
    assert.equal(error.column.length, 200);
    assert.ok(error.column.endsWith('…') && error.message.length <= 200 && error.truncated === true, JSON.stringify(error).slice(0, 300));
    for (const url of [`/api/imports/${res.result.id}`, `/api/containers/${id}`]) {
      const body = await fetch(`${t.url}${url}`, { headers: { cookie: c.cookie! } }).then((r) => r.text());
      assert.ok(body.length < 5000, `${url} answered ${body.length} characters`);
    }
    const many = [header, ...Array.from({ length: 150 }, (_, i) => `G${i};PK;100;0815;1234;45;;;;0;12`)].join('\n');
    const bad = (await timedImport(c, id, 'customer_groups', many)).result;
    assert.equal(bad.errorCount, 150);
    assert.equal(bad.errors.length, 100);
    assert.ok(bad.errors.every((e: any) => e.code === 'invalid_format' && e.truncated === undefined));
  });

  it('of 20 parallel uploads to one container one spools, the rest are refused before their bodies are read', async () => {
    const valid = fs.readFileSync(path.join(fixtures, 'customer-groups-valid.csv'));
    for (let round = 0; round < 2; round++) {
      const id = await container();
      const users = await Promise.all(Array.from({ length: 10 }, async () => signIn(await addUser(t, analyst.tenantId, { roles: ['analyst'] }))));
      const uploads = Array.from({ length: 20 }, (_, i) => heldUpload(users[i % 10]!, id, valid));
      const refused = await answers(uploads.map((u) => u.answered), 19);
      const waiting = refused.flatMap((r, i) => (r ? [] : [i]));
      assert.equal(waiting.length, 1, `uploads still open: ${waiting.length}`);
      for (const r of refused.filter((x) => x)) assert.deepEqual(r, { status: 409, code: 'import_running', beforeBody: true });
      assert.ok(fs.readdirSync(spoolDir).length <= 1, 'only the admitted upload spools');
      uploads[waiting[0]!]!.finish();
      const accepted = await uploads[waiting[0]!]!.answered;
      assert.equal(accepted.status, 202);
      await t.kontor.imports.idle();
      assert.deepEqual(fs.readdirSync(spoolDir), []);
      uploads.forEach((u) => u.abort());
    }
  });

  it('bounds the uploads in flight per user and per bank, and gives the slots back', async () => {
    const valid = fs.readFileSync(path.join(fixtures, 'customer-groups-valid.csv'));
    const bank = await createTenantWithUser(t, { roles: ['analyst'] });
    const one = await signIn(bank);
    const two = await signIn(await addUser(t, bank.tenantId, { roles: ['analyst'] }));
    const ids = await Promise.all(Array.from({ length: 6 }, () => container(one)));
    const mine = ids.slice(0, 4).map((id) => heldUpload(one, id, valid));
    await answers(mine.map((u) => u.answered), 2);
    const theirs = ids.slice(4).map((id) => heldUpload(two, id, valid));
    const state = await answers([...mine, ...theirs].map((u) => u.answered), 3);
    const refusedCodes = state.map((r) => (r ? `${r.status} ${r.code} ${r.beforeBody}` : 'open'));
    assert.deepEqual(refusedCodes.slice(0, 4).sort(), ['429 too_many_uploads true', '429 too_many_uploads true', 'open', 'open'], 'two per user');
    assert.deepEqual(refusedCodes.slice(4).sort(), ['429 too_many_uploads true', 'open'], 'three per bank');
    [...mine, ...theirs].forEach((u) => u.abort());
    await sleep(300);
    assert.deepEqual(fs.readdirSync(spoolDir), []);
    const again = await timedImport(one, ids[5]!, 'customer_groups', valid);
    assert.equal(again.result.status, 'succeeded', 'aborted uploads gave their slots back');
  });

  it('refuses an upload with 507 when the spool would eat into the disk reserve, writing nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-spool-full-'));
    const full = await startTestKontor({ spoolDir: dir, uploadLimits: { perUser: 2, perBank: 3, spoolReserveBytes: Number.MAX_SAFE_INTEGER } });
    try {
      const user = await createTenantWithUser(full, { roles: ['analyst'] });
      const client = new Client(full.url);
      await client.login(user.email, user.password);
      const id = (await client.post('/api/containers', { name: 'Voll' })).body.id;
      const res = await fetch(`${full.url}/api/containers/${id}/imports/customer_groups`, {
        method: 'POST', headers: { origin: full.url, cookie: client.cookie!, 'content-type': 'text/csv' }, body: fs.readFileSync(path.join(fixtures, 'customer-groups-valid.csv')),
      });
      assert.equal(res.status, 507);
      assert.equal(((await res.json())).error.code, 'insufficient_storage');
      assert.deepEqual(fs.readdirSync(dir), []);
      assert.deepEqual((await client.get(`/api/containers/${id}`)).body.imports, []);
    } finally {
      await full.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
