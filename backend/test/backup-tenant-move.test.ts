import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAll } from '../src/audit/chains.js';
import { BackupRefused } from '../src/backup/manifest.js';
import { exportTenant } from '../src/backup/tenant-export.js';
import { importTenant } from '../src/backup/tenant-import.js';
import { readEntry, readTarIndex } from '../src/backup/ustar.js';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { generate } from '../src/demo/generator.js';
import { Client } from './helpers/client.js';
import { createBank, databaseState, importContainer, startInstallation, tempDir, type BankUser, type Installation } from './helpers/installation.js';

/**
 * One bank moves between two embedded installations with export-tenant / import-tenant: its rows
 * arrive with their ids and hashes (an export of the moved bank is byte-equal to the original's),
 * its users sign in there with their passwords and second factors, its chains verify, and the
 * source is untouched. Conflicts and a damaged file are refused and change nothing.
 */
const dirs: string[] = [];
let a: Installation;
let b: Installation;
let bank: { tenantId: string; users: BankUser[] };
let work: string;

function secretsOf(inst: Installation): { totpKey: string; loginEventKey: string } {
  return JSON.parse(fs.readFileSync(path.join(inst.home, 'secrets.json'), 'utf8'));
}
const keysOf = (inst: Installation) => ({ totpKey: secretsOf(inst).totpKey, hmacKey: secretsOf(inst).loginEventKey });

async function entries(file: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of readTarIndex(file)) {
    const chunks: Buffer[] = [];
    for await (const c of readEntry(file, e)) chunks.push(c as Buffer);
    out.set(e.name, Buffer.concat(chunks));
  }
  return out;
}

async function signIn(inst: Installation, user: BankUser): Promise<number> {
  const client = new Client(inst.url);
  const first = await client.post('/api/auth/login', { email: user.email, password: user.password });
  if (first.status !== 200 || !first.body?.secondFactorRequired) return first.status;
  return (await client.post('/api/auth/login/second-factor', { code: inst.server.kontor.secondFactor.codeAt(user.totp!, new Date()) })).status;
}

before(async () => {
  for (const p of ['kontor-a-', 'kontor-b-', 'kontor-move-']) dirs.push(tempDir(p));
  [a, b] = await Promise.all([startInstallation(dirs[0]!), startInstallation(dirs[1]!)]);
  work = dirs[2]!;
  await generate({ groups: 200, seed: 3, outDir: path.join(work, 'files') });
  bank = await createBank(a, 'Sparkasse Umzug', { users: 4, withFactor: 1 });
  const containerId = await importContainer(a, bank.tenantId, 'Bestand', path.join(work, 'files'));
  // A result, and a few sign-ins of the bank's users (the sign-in chains move too).
  const analyst = new Client(a.url);
  assert.equal((await analyst.login(bank.users[1]!.email, bank.users[1]!.password)).status, 200);
  const run = await analyst.post('/api/calculations', { containerId, kind: 'leasing' });
  assert.equal(run.status, 202, JSON.stringify(run.body));
  await a.server.kontor.calculations.idle();
  assert.equal((await analyst.get(`/api/calculations/${run.body.id}`)).body.status, 'succeeded');
  assert.equal(await signIn(a, bank.users[2]!), 200);
  // Vendor staff of A with a grant to the bank, named in its audit trail.
  const vendor = (await a.owner('tenants').where({ is_vendor: true }).first('id')).id as string;
  const [staff] = await a.owner('users').insert({ tenant_id: vendor, email: `staff-${randomUUID().slice(0, 6)}@vendor.example`, name: 'Support' }).returning('id');
  const staffId = (staff as { id: string }).id;
  const reader = (await a.owner('roles').where({ key: 'reader' }).first('id')).id as string;
  await a.owner('vendor_grants').insert({ user_id: staffId, tenant_id: bank.tenantId, granted_by: staffId });
  await inWholeTenant(a.owner, bank.tenantId, async (trx) => {
    await trx('memberships').insert({ tenant_id: bank.tenantId, user_id: staffId });
    await trx('membership_roles').insert({ tenant_id: bank.tenantId, user_id: staffId, role_id: reader });
    await trx('audit_events').insert({ tenant_id: bank.tenantId, actor_user_id: staffId, type: 'grant.given', subject_type: 'user', subject_id: staffId });
  });
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('moving one bank between installations', () => {
  it('exports every row, imports it as a new bank, and an export there is byte-equal', async () => {
    const sourceBefore = await databaseState(a.superDb);
    const file1 = path.join(work, 'bank-a.tar');
    const manifest = await exportTenant({ ownerUrl: a.server.database.ownerUrl!, tenantId: bank.tenantId, file: file1, now: new Date(), keys: keysOf(a) });
    assert.equal(fs.statSync(file1).mode & 0o777, 0o600);
    const exported = new Map(manifest.tables.map((t) => [t.name, t.rows]));
    for (const table of ['tenants', 'users', 'password_credentials', 'user_totp', 'memberships', 'membership_roles', 'vendor_grants', 'containers',
      'customer_groups', 'products', 'payments', 'calculations', 'leasing_result_chunks', 'audit_events', 'audit_chain_heads', 'login_events', 'login_chain_heads']) {
      assert.ok((exported.get(table) ?? 0) > 0, `${table} exported`);
    }
    assert.equal(exported.has('sessions'), false, 'sessions stay behind');

    const report = await importTenant({ ownerUrl: b.server.database.ownerUrl!, file: file1, now: new Date(), keys: keysOf(b), sourceKeys: keysOf(a) });
    assert.equal(report.reencryptedFactors, 1);
    assert.equal(report.staffStubs, 1);
    assert.deepEqual(await databaseState(a.superDb), sourceBefore, 'the source is untouched');

    const file2 = path.join(work, 'bank-b.tar');
    await exportTenant({ ownerUrl: b.server.database.ownerUrl!, tenantId: bank.tenantId, file: file2, now: new Date(), keys: keysOf(b) });
    const [one, two] = [await entries(file1), await entries(file2)];
    assert.deepEqual([...two.keys()], [...one.keys()]);
    for (const [name, bytes] of one) {
      if (name === 'manifest.json' || name === 'data/user_totp.copy') continue; // export time and key fingerprints; seeds re-encrypted
      assert.ok(bytes.equals(two.get(name)!), `${name} is byte-equal after the move`);
    }
    const m1 = JSON.parse(one.get('manifest.json')!.toString());
    const m2 = JSON.parse(two.get('manifest.json')!.toString());
    assert.deepEqual(m2.tables.map((t: { rows: number }) => t.rows), m1.tables.map((t: { rows: number }) => t.rows));

    // There: the bank's users sign in (second factor re-encrypted), its chains verify, staff of A cannot sign in.
    assert.deepEqual(await Promise.all(bank.users.slice(0, 2).map((u) => signIn(b, u))), [200, 200]);
    const chains = await verifyAll(b.server.database.api);
    assert.deepEqual(chains.filter((c) => !c.ok), []);
    assert.ok(chains.some((c) => c.tenantId === bank.tenantId && c.chain === 'info' && c.rows > 4));
    assert.ok(chains.some((c) => c.chain === `${bank.tenantId}/success` && c.rows >= 2));
    const stub = await b.owner('users').whereIn('id', JSON.parse(one.get('foreign-users.json')!.toString())).first('status', 'tenant_id');
    assert.equal(stub.status, 'deleted');
    // The target's own next audit event of that bank gets a fresh id (its sequence moved past the imported ones).
    await inWholeTenant(b.server.database.api, bank.tenantId, (trx) => trx('audit_events').insert({ tenant_id: bank.tenantId, type: 'after.move' }));
    assert.deepEqual((await verifyAll(b.server.database.api)).filter((c) => !c.ok), []);

    // A second import of the same bank is refused, and changes nothing.
    const targetBefore = await databaseState(b.superDb);
    await assert.rejects(importTenant({ ownerUrl: b.server.database.ownerUrl!, file: file1, now: new Date(), keys: keysOf(b), sourceKeys: keysOf(a) }),
      (err: Error) => err instanceof BackupRefused && /tenant with this id/.test(err.message));
    assert.deepEqual(await databaseState(b.superDb), targetBefore);
  });

  it('refuses a bank whose user e-mail exists in the target, and a damaged export', async () => {
    const other = await createBank(a, 'Sparkasse Zwei', { users: 1, withFactor: 0 });
    const file = path.join(work, 'zwei.tar');
    await exportTenant({ ownerUrl: a.server.database.ownerUrl!, tenantId: other.tenantId, file, now: new Date(), keys: keysOf(a) });
    const vendor = (await b.owner('tenants').where({ is_vendor: true }).first('id')).id as string;
    await b.owner('users').insert({ tenant_id: vendor, email: other.users[0]!.email.toUpperCase(), name: 'Same address' });
    const targetBefore = await databaseState(b.superDb);
    await assert.rejects(importTenant({ ownerUrl: b.server.database.ownerUrl!, file, now: new Date(), keys: keysOf(b), sourceKeys: keysOf(a) }),
      (err: Error) => err instanceof BackupRefused && err.message.includes(other.users[0]!.email.toUpperCase()));
    assert.deepEqual(await databaseState(b.superDb), targetBefore);

    const bytes = fs.readFileSync(file);
    const entry = readTarIndex(file).find((e) => e.name === 'data/audit_events.copy')!;
    bytes[entry.offset + 5] = bytes[entry.offset + 5]! ^ 0x01;
    const damaged = path.join(work, 'zwei-damaged.tar');
    fs.writeFileSync(damaged, bytes);
    await assert.rejects(importTenant({ ownerUrl: b.server.database.ownerUrl!, file: damaged, now: new Date(), keys: keysOf(b), sourceKeys: keysOf(a) }),
      (err: Error) => err instanceof BackupRefused && err.message.includes('data/audit_events.copy'));
    assert.deepEqual(await databaseState(b.superDb), targetBefore);
  });
});
