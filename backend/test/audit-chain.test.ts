import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { describeVerification, purgeChainedRecords, verifyAll, verifyAuditChains, verifyLoginChains } from '../src/audit/chains.js';
import { recordAudit } from '../src/audit/audit-store.js';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { apiDb, retentionDb } from './helpers/db.js';

let t: TestKontor;
let api: Knex;
let retention: Knex;

before(async () => {
  t = await startTestKontor();
  api = apiDb(2);
  retention = retentionDb();
});
after(async () => {
  await api.destroy();
  await retention.destroy();
  await t.close();
});

async function events(tenantId: string, n: number, level: 'info' | 'error' = 'info', at = t.clock.now()): Promise<void> {
  await inWholeTenant(api, tenantId, async (trx) => {
    for (let i = 0; i < n; i++) await recordAudit(trx, { tenantId, actorUserId: null, type: `test.event.${i}`, level, details: { i } }, at);
  });
}

async function audit(tenantId: string) {
  return inWholeTenant(api, tenantId, (trx) => verifyAuditChains(trx, tenantId));
}

/** As the owner, inside the tenant (row-level security is forced for the owner too). */
function asOwner<T>(tenantId: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return inWholeTenant(t.owner, tenantId, work);
}

async function bank(): Promise<TestUser> {
  return createTenantWithUser(t, { roles: ['tenant_admin'] });
}

describe('tamper-evident audit trail', () => {
  it('every event joins its chain: seq, previous hash and own hash; a fresh chain verifies', async () => {
    const b = await bank();
    await events(b.tenantId, 3);
    await events(b.tenantId, 1, 'error');
    const rows = await asOwner(b.tenantId, (trx) => trx('audit_events').where({ tenant_id: b.tenantId }).orderBy(['level', 'seq']).select('level', 'seq', 'prev_hash', 'row_hash'));
    assert.deepEqual(rows.map((r) => [r.level, Number(r.seq)]), [['error', 1], ['info', 1], ['info', 2], ['info', 3]]);
    assert.ok(rows[2]!.prev_hash.equals(rows[1]!.row_hash), 'each row stores the hash of the one before it');
    assert.ok(rows[1]!.prev_hash.equals(Buffer.alloc(32)), 'a chain starts from the zero hash');
    const report = await audit(b.tenantId);
    assert.deepEqual(report.map((r) => [r.chain, r.rows, r.ok]), [['error', 1, true], ['info', 3, true]]);
  });

  it('the API role can insert audit rows and sign-in records but neither update nor delete them', async () => {
    const b = await bank();
    await events(b.tenantId, 1);
    for (const attempt of [
      (trx: Knex.Transaction) => trx('audit_events').where({ tenant_id: b.tenantId }).update({ type: 'forged' }),
      (trx: Knex.Transaction) => trx('audit_events').where({ tenant_id: b.tenantId }).delete(),
    ]) {
      await assert.rejects(inWholeTenant(api, b.tenantId, attempt), /permission denied for table audit_events/);
    }
    await assert.rejects(api('login_events').where({ tenant_id: b.tenantId }).update({ reason: 'forged' }), /permission denied for table login_events/);
    await assert.rejects(api('login_events').where({ tenant_id: b.tenantId }).delete(), /permission denied for table login_events/);
  });

  it('a row altered as the owner is named by the verification (and by `audit verify`)', async () => {
    const b = await bank();
    await events(b.tenantId, 5);
    const victim = await asOwner(b.tenantId, (trx) => trx('audit_events').where({ tenant_id: b.tenantId, level: 'info', seq: 3 }).first('id'));
    await asOwner(b.tenantId, (trx) => trx('audit_events').where({ tenant_id: b.tenantId, id: victim.id }).update({ details: JSON.stringify({ i: 99 }) }));
    const info = (await audit(b.tenantId)).find((r) => r.chain === 'info')!;
    assert.equal(info.ok, false);
    assert.deepEqual(info.firstBroken, { seq: 3, id: String(victim.id), reason: 'content' });
    const all = await verifyAll(api);
    const line = describeVerification(all).find((l) => l.includes(b.tenantId) && l.includes('(info)'))!;
    assert.equal(line, `BROKEN  audit events of tenant ${b.tenantId} (info): first broken at row id ${victim.id}, seq 3 (content)`);
  });

  it('a row deleted from the middle is a gap; the newest row deleted is a missing tail; a re-hashed row breaks the link', async () => {
    const gap = await bank();
    await events(gap.tenantId, 4);
    await asOwner(gap.tenantId, (trx) => trx('audit_events').where({ tenant_id: gap.tenantId, level: 'info', seq: 2 }).delete());
    assert.deepEqual((await audit(gap.tenantId))[0]!.firstBroken?.reason, 'gap');

    const tail = await bank();
    await events(tail.tenantId, 4);
    await asOwner(tail.tenantId, (trx) => trx('audit_events').where({ tenant_id: tail.tenantId, level: 'info', seq: 4 }).delete());
    assert.deepEqual((await audit(tail.tenantId))[0]!.firstBroken, { seq: 4, id: '', reason: 'missing_tail' });

    // A forger who also recomputes the altered row's own hash still breaks the next row's link.
    const rehash = await bank();
    await events(rehash.tenantId, 3);
    await asOwner(rehash.tenantId, (trx) => trx.raw(
      `update audit_events set type = 'forged', row_hash = audit_event_hash(prev_hash, tenant_id, level, seq, created_at, actor_user_id, 'forged', subject_type, subject_id, details, request_id, ip)
        where tenant_id = ? and level = 'info' and seq = 2`, [rehash.tenantId]));
    assert.deepEqual((await audit(rehash.tenantId))[0]!.firstBroken?.reason, 'link');
    assert.equal((await audit(rehash.tenantId))[0]!.firstBroken?.seq, 3);
  });

  it('retention deletes the old end as the retention role, keeps errors, and leaves an anchor so the rest verifies', async () => {
    const b = await bank();
    const old = new Date(t.clock.now().getTime() - 40 * 86_400_000);
    await events(b.tenantId, 4, 'info', old);
    await events(b.tenantId, 1, 'error', old);
    await events(b.tenantId, 2, 'info');
    const purged = await purgeChainedRecords(retention, t.clock.now(), [b.tenantId]);
    assert.equal(purged.auditEvents, 4);
    const left = await asOwner(b.tenantId, (trx) => trx('audit_events').where({ tenant_id: b.tenantId }).orderBy(['level', 'seq']).select('level', 'seq'));
    assert.deepEqual(left.map((r) => [r.level, Number(r.seq)]), [['error', 1], ['info', 5], ['info', 6]]);
    const anchor = await asOwner(b.tenantId, (trx) => trx('audit_chain_anchors').where({ tenant_id: b.tenantId, chain: 'info' }).first());
    assert.equal(Number(anchor.first_seq), 5);
    assert.ok((await audit(b.tenantId)).every((r) => r.ok), 'the chain still verifies from the anchor');
    // The API role cannot move the anchor to hide a deletion.
    await assert.rejects(inWholeTenant(api, b.tenantId, (trx) => trx('audit_chain_anchors').where({ tenant_id: b.tenantId }).update({ first_seq: 6 })), /permission denied/);
    // Everything cut: the anchor sits past the head and the empty chain verifies too.
    t.clock.advanceMinutes(31 * 24 * 60);
    await purgeChainedRecords(retention, t.clock.now(), [b.tenantId]);
    t.clock.advanceMinutes(-31 * 24 * 60);
    assert.ok((await audit(b.tenantId)).every((r) => r.ok));
  });

  it('sign-in records form chains per bank and outcome; retention keeps them verifiable', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    await new Client(t.url).login(u.email, u.password);
    await new Client(t.url).login(u.email, 'not the password 1');
    await new Client(t.url).login(u.email, u.password);
    const chains = await verifyLoginChains(api, u.tenantId);
    assert.deepEqual(chains.map((c) => [c.chain, c.rows, c.ok]), [[`${u.tenantId}/failure`, 1, true], [`${u.tenantId}/success`, 2, true]]);
    t.clock.advanceMinutes(31 * 24 * 60);
    await new Client(t.url).login(u.email, u.password);
    const purged = await purgeChainedRecords(retention, t.clock.now(), [u.tenantId]);
    t.clock.advanceMinutes(-31 * 24 * 60);
    assert.equal(purged.loginEvents, 2);
    const after = await verifyLoginChains(api, u.tenantId);
    assert.deepEqual(after.map((c) => [c.chain, c.rows, c.ok]), [[`${u.tenantId}/failure`, 1, true], [`${u.tenantId}/success`, 1, true]]);
  });

  it('a tenant admin sees the verification of the bank\'s chains', async () => {
    const admin = await bank();
    const c = new Client(t.url);
    await c.login(admin.email, admin.password);
    await events(admin.tenantId, 2);
    const res = await c.get('/api/audit/verify');
    assert.equal(res.status, 200);
    assert.equal(res.body.ok, true);
    assert.ok(res.body.chains.some((ch: { kind: string }) => ch.kind === 'login'));
    await asOwner(admin.tenantId, (trx) => trx('audit_events').where({ tenant_id: admin.tenantId, level: 'info', seq: 1 }).update({ type: 'forged' }));
    const broken = await c.get('/api/audit/verify');
    assert.equal(broken.body.ok, false);
  });
});
