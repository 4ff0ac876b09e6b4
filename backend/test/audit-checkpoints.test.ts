import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { recordAudit } from '../src/audit/audit-store.js';
import { byChain, describeVerification, purgeChainedRecords, verifyAuditChains, type ChainReport } from '../src/audit/chains.js';
import { loadOrCreateSigningKey, type SigningKey } from '../src/audit/checkpoint-key.js';
import { auditChainId, CheckpointService, signCheckpoint } from '../src/audit/checkpoints.js';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { apiDb, retentionDb } from './helpers/db.js';
import { capturingLogger } from './helpers/logger.js';

const TOOL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tools/verify-audit-export.mjs');

let t: TestKontor;
let home: string;
let key: SigningKey;
let checkpoints: CheckpointService;
let cpDb: Knex;

before(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-cp-'));
  key = loadOrCreateSigningKey(home);
  cpDb = apiDb(2);
  // The suite's test clock, once the app exists.
  checkpoints = new CheckpointService({ db: cpDb, home, key, clock: { now: () => t.clock.now() }, logger: capturingLogger().logger });
  t = await startTestKontor({ checkpoints });
});
after(async () => {
  await t.close();
  await cpDb.destroy();
  fs.rmSync(home, { recursive: true, force: true });
});

async function events(tenantId: string, n: number, at = t.clock.now()): Promise<void> {
  await inWholeTenant(t.db, tenantId, async (trx) => {
    for (let i = 0; i < n; i++) await recordAudit(trx, { tenantId, actorUserId: null, type: `test.event.${i}`, details: { i } }, at);
  });
}

/** As `audit verify` does it: the chains against the trusted checkpoints read from the files. */
async function verify(tenantId: string): Promise<ChainReport> {
  const trusted = byChain(checkpoints.readAll().trusted);
  const reports = await inWholeTenant(t.db, tenantId, (trx) => verifyAuditChains(trx, tenantId, trusted));
  return reports.find((r) => r.chain === 'info')!;
}

function owner<T>(tenantId: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return inWholeTenant(t.owner, tenantId, work);
}

/** What a forger with the owner role does to cover a change: recompute every later link and hash, then move the head. */
async function rehashFrom(trx: Knex.Transaction, tenantId: string, seq: number): Promise<void> {
  const seqs = (await trx('audit_events').where({ tenant_id: tenantId, chain: 'info' }).where('seq', '>=', seq).orderBy('seq').pluck('seq')) as string[];
  for (const s of seqs) {
    await trx.raw(`update audit_events e set prev_hash = coalesce((select p.row_hash from audit_events p where p.tenant_id = e.tenant_id and p.chain = e.chain and p.seq = e.seq - 1), e.prev_hash)
                    where e.tenant_id = ? and e.chain = 'info' and e.seq = ?`, [tenantId, s]);
    await trx.raw(`update audit_events set row_hash = audit_event_hash(prev_hash, tenant_id, chain, seq, created_at, actor_user_id, type, subject_type, subject_id, details, request_id, ip)
                    where tenant_id = ? and chain = 'info' and seq = ?`, [tenantId, s]);
  }
  await rewindHead(trx, tenantId);
}

async function rewindHead(trx: Knex.Transaction, tenantId: string): Promise<void> {
  const last = await trx('audit_events').where({ tenant_id: tenantId, chain: 'info' }).orderBy('seq', 'desc').first('seq', 'row_hash');
  await trx('audit_chain_heads').where({ tenant_id: tenantId, chain: 'info' }).update({ last_seq: last.seq, last_hash: last.row_hash });
}

async function adminClient(b: TestUser): Promise<Client> {
  const c = new Client(t.url);
  assert.equal((await c.login(b.email, b.password)).status, 200);
  return c;
}

/** The bank's download, and what the stand-alone script says about it. */
async function exportAndCheck(b: TestUser, keyPem = key.publicKeyPem): Promise<{ text: string; code: number; out: string }> {
  const c = await adminClient(b);
  const from = new Date(t.clock.now().getTime() - 86_400_000).toISOString();
  const to = new Date(t.clock.now().getTime() + 86_400_000).toISOString();
  const res = await c.get(`/api/audit/export?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /application\/x-ndjson/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-export-'));
  fs.writeFileSync(path.join(dir, 'export.jsonl'), res.body as string);
  fs.writeFileSync(path.join(dir, 'key.pem'), keyPem);
  const { code, out } = await runTool([path.join(dir, 'export.jsonl'), '--key', path.join(dir, 'key.pem')]);
  fs.rmSync(dir, { recursive: true, force: true });
  return { text: res.body as string, code, out };
}

function runTool(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => execFile(process.execPath, [TOOL, ...args], (err, stdout, stderr) => {
    resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, out: stdout + stderr });
  }));
}

/** A bank with 5 info events, checkpointed after 2 and after 5. */
async function checkpointedBank(): Promise<TestUser> {
  const b = await createTenantWithUser(t, { roles: ['tenant_admin'] });
  await events(b.tenantId, 2);
  await checkpoints.checkpoint([b.tenantId]);
  t.clock.advanceMinutes(5);
  await events(b.tenantId, 3);
  await checkpoints.checkpoint([b.tenantId]);
  t.clock.advanceMinutes(5);
  const report = await verify(b.tenantId);
  assert.equal(report.ok, true);
  assert.equal(report.checkpoint?.seq, 5);
  return b;
}

describe('signed checkpoints of the hash chains', () => {
  it('the key is generated once into KONTOR_HOME (PKCS#8 PEM, mode 0600); heads are signed into an append-only file and the database', async () => {
    const file = path.join(home, 'checkpoint-key.pem');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.match(fs.readFileSync(file, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(loadOrCreateSigningKey(home).keyId, key.keyId, 'a restart keeps the key');
    const b = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    await events(b.tenantId, 3);
    const done = await checkpoints.checkpoint([b.tenantId]);
    const mine = done.signed.find((cp) => cp.chain === auditChainId(b.tenantId, 'info'))!;
    assert.equal(mine.seq, 3);
    assert.equal(mine.keyId, key.keyId);
    const lines = fs.readFileSync(path.join(home, 'checkpoints', `${b.tenantId}.jsonl`), 'utf8').trim().split('\n');
    assert.ok(lines.some((l) => JSON.parse(l).sig === mine.sig));
    const copy = await t.owner('audit_checkpoints').where({ tenant_id: b.tenantId }).select('line');
    assert.ok(copy.some((r) => JSON.parse(r.line).sig === mine.sig));
    assert.equal((await checkpoints.checkpoint([b.tenantId])).signed.length, 0, 'an unchanged head is not signed again');
    await assert.rejects(inWholeTenant(t.db, b.tenantId, () => t.db('audit_checkpoints').where({ tenant_id: b.tenantId }).delete()), /permission denied/);
  });

  it('an instance with another checkpoint directory does not sign afresh what the cluster checkpointed; with the shared directory it extends it', async () => {
    const b = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    await events(b.tenantId, 2);
    await checkpoints.checkpoint([b.tenantId]);
    await events(b.tenantId, 1);
    const chain = auditChainId(b.tenantId, 'info');
    const otherHome = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-cp-other-'));
    try {
      // The leader moved to an instance whose KONTOR_HOME has its own, empty checkpoints/.
      const { logger, lines } = capturingLogger();
      const clock = { now: () => t.clock.now() };
      const elsewhere = new CheckpointService({ db: cpDb, home: otherHome, key, clock, logger });
      const done = await elsewhere.checkpoint([b.tenantId]);
      assert.deepEqual(done.signed.filter((cp) => cp.chain === chain), [], 'signed afresh in a second directory');
      assert.ok(done.skipped.includes(chain));
      assert.ok(lines.some((l) => l.includes('AUDIT_CHECKPOINT_DIR must be one directory for the cluster')));
      assert.equal(fs.existsSync(elsewhere.dir), false);
      // AUDIT_CHECKPOINT_DIR pointing at the cluster's directory: it extends the last checkpoint.
      const shared = new CheckpointService({ db: cpDb, home: otherHome, dir: checkpoints.dir, key, clock, logger });
      const extended = await shared.checkpoint([b.tenantId]);
      assert.equal(extended.signed.find((cp) => cp.chain === chain)?.seq, 3);
      assert.deepEqual(extended.skipped, []);
    } finally {
      fs.rmSync(otherHome, { recursive: true, force: true });
    }
  });

  it('bank admins get the public key and the newest checkpoints; an on-demand checkpoint signs new rows', async () => {
    const b = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    await events(b.tenantId, 1);
    const c = await adminClient(b);
    const signed = await c.post('/api/audit/checkpoints');
    assert.equal(signed.status, 200);
    assert.ok(signed.body.signed >= 1);
    const res = await c.get('/api/audit/checkpoints');
    assert.equal(res.body.publicKey, key.publicKeyPem);
    assert.ok(res.body.latest.some((l: { chain: string; seq: number }) => l.chain === auditChainId(b.tenantId, 'info') && l.seq === 1));
  });

  it('change a row, re-hash the tail and move the head (as the owner): broken against the checkpoint, named', async () => {
    const b = await checkpointedBank();
    await owner(b.tenantId, async (trx) => {
      await trx('audit_events').where({ tenant_id: b.tenantId, chain: 'info', seq: 3 }).update({ type: 'forged' });
      await rehashFrom(trx, b.tenantId, 3);
    });
    const r = await verify(b.tenantId);
    assert.equal(r.ok, false);
    assert.equal(r.firstBroken?.reason, 'checkpoint_mismatch');
    assert.equal(r.firstBroken?.seq, 5);
    assert.equal(r.firstBroken?.lastGoodSeq, 2, 'the earlier checkpoint still matches: the change lies in seq 3..5');
    const line = describeVerification([{ ...r, tenantId: b.tenantId }])[0]!;
    assert.match(line, new RegExp(`^BROKEN  audit events of tenant ${b.tenantId} \\(info\\): first broken at row id \\d+, seq 5 \\(checkpoint_mismatch\\).*signs seq 5; intact up to seq 2`));
    const refused = await checkpoints.checkpoint([b.tenantId]);
    assert.deepEqual(refused.refused.map((x) => [x.chain, x.reason]), [[auditChainId(b.tenantId, 'info'), 'rewritten']], 'the forged head is never signed');
    const exported = await exportAndCheck(b);
    assert.equal(exported.code, 1);
    assert.match(exported.out, new RegExp(`BROKEN  audit:${b.tenantId}:info: first broken at seq 5, row id \\d+, line \\d+: differs from the signed checkpoint.*intact up to seq 2`));
  });

  it('delete a row, renumber the tail and rewind the head: the chain no longer reaches the checkpoint', async () => {
    const b = await checkpointedBank();
    await owner(b.tenantId, async (trx) => {
      await trx('audit_events').where({ tenant_id: b.tenantId, chain: 'info', seq: 3 }).delete();
      for (const s of [4, 5]) await trx('audit_events').where({ tenant_id: b.tenantId, chain: 'info', seq: s }).update({ seq: s - 1 });
      await rehashFrom(trx, b.tenantId, 3);
    });
    const r = await verify(b.tenantId);
    assert.deepEqual([r.ok, r.firstBroken?.reason, r.firstBroken?.seq, r.firstBroken?.checkpointSeq], [false, 'checkpoint_unreached', 5, 5]);
    const exported = await exportAndCheck(b);
    assert.equal(exported.code, 1);
    assert.match(exported.out, new RegExp(`BROKEN  audit:${b.tenantId}:info: .*(checkpoint_unreached|checkpoint_mismatch)`));
  });

  it('drop the newest rows and rewind the head: the chain no longer reaches the checkpoint', async () => {
    const b = await checkpointedBank();
    await owner(b.tenantId, async (trx) => {
      await trx('audit_events').where({ tenant_id: b.tenantId, chain: 'info' }).where('seq', '>', 3).delete();
      await rewindHead(trx, b.tenantId);
    });
    const r = await verify(b.tenantId);
    assert.deepEqual([r.ok, r.firstBroken?.reason, r.firstBroken?.seq, r.firstBroken?.lastGoodSeq], [false, 'checkpoint_unreached', 4, 2]);
    const exported = await exportAndCheck(b);
    assert.equal(exported.code, 1);
    assert.match(exported.out, new RegExp(`BROKEN  audit:${b.tenantId}:info: first broken at seq 4: chain ends before the signed checkpoint \\(truncated or rewound\\).*signs seq 5`));
  });

  it('fork the chain (rewind, then append a different history past the checkpoint): broken where it diverges', async () => {
    const b = await checkpointedBank();
    await owner(b.tenantId, async (trx) => {
      await trx('audit_events').where({ tenant_id: b.tenantId, chain: 'info' }).where('seq', '>', 3).delete();
      await rewindHead(trx, b.tenantId);
    });
    await events(b.tenantId, 3);
    const r = await verify(b.tenantId);
    assert.deepEqual([r.ok, r.firstBroken?.reason, r.firstBroken?.seq], [false, 'checkpoint_mismatch', 5]);
    const exported = await exportAndCheck(b);
    assert.equal(exported.code, 1);
    assert.match(exported.out, new RegExp(`BROKEN  audit:${b.tenantId}:info: first broken at seq 5.*rewritten or forked`));
  });

  it('a checkpoint signed with another key, or an edited one, is refused and fails the verification', async () => {
    for (const attack of ['other key', 'edited'] as const) {
      const b = await checkpointedBank();
      await owner(b.tenantId, async (trx) => {
        await trx('audit_events').where({ tenant_id: b.tenantId, chain: 'info' }).where('seq', '>', 3).delete();
        await rewindHead(trx, b.tenantId);
      });
      const head = await owner(b.tenantId, (trx) => trx('audit_chain_heads').where({ tenant_id: b.tenantId, chain: 'info' }).first());
      const chain = auditChainId(b.tenantId, 'info');
      // The forger replaces the checkpoint of seq 5 with one for the rewound head (seq 3).
      const file = path.join(home, 'checkpoints', `${b.tenantId}.jsonl`);
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
      const at = lines.findIndex((l) => JSON.parse(l).chain === chain && JSON.parse(l).seq === 5);
      const { privateKey } = generateKeyPairSync('ed25519');
      const other: SigningKey = { privateKey, publicKey: privateKey, publicKeyPem: '', keyId: key.keyId };
      lines[at] = attack === 'other key'
        ? JSON.stringify(signCheckpoint(other, { chain, seq: 3, hash: head.last_hash.toString('hex'), at: t.clock.now() }))
        : JSON.stringify({ ...JSON.parse(lines[at]!), seq: 3, hash: head.last_hash.toString('hex') });
      fs.writeFileSync(file, `${lines.join('\n')}\n`);
      assert.deepEqual(checkpoints.readFile(b.tenantId).refused, [{ file: `${b.tenantId}.jsonl`, line: at + 1 }], attack);
      const api = await (await adminClient(b)).get('/api/audit/verify');
      assert.equal(api.body.ok, false, attack);
      assert.equal(api.body.refusedCheckpointLines, 1);
    }
  });

  it('a download re-hashed after an edit, with its checkpoint edited to match, is refused by the script', async () => {
    const b = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    await events(b.tenantId, 3);
    const ok = await exportAndCheck(b);
    assert.equal(ok.code, 0, ok.out);
    const chain = `audit:${b.tenantId}:info`;
    let prev: string | undefined;
    const forged = ok.text.trim().split('\n').map((l) => {
      const o = JSON.parse(l);
      if (o.chain !== chain) return l;
      if (o.kind === 'audit') {
        let canonical: string = o.canonical;
        if (o.seq === 2) canonical = canonical.replace('"i": 1', '"i": 9');
        if (prev) canonical = canonical.replace(/^\["[0-9a-f]{64}"/, `["${prev}"`);
        const arr = JSON.parse(canonical);
        const hash = createHash('sha256').update(canonical).digest('hex');
        const record = { ...o.record, details: arr[9] };
        const out = { ...o, prevHash: arr[0], hash, canonical, record };
        prev = hash;
        return JSON.stringify(out);
      }
      if (o.kind === 'checkpoint' && o.seq === 3) return JSON.stringify({ ...o, hash: prev });
      return l;
    }).join('\n');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-export-'));
    fs.writeFileSync(path.join(dir, 'x.jsonl'), forged);
    const res = await runTool([path.join(dir, 'x.jsonl'), '--key', key.publicKeyPem]);
    assert.equal(res.code, 1, res.out);
    assert.match(res.out, new RegExp(`BROKEN  ${chain}: first broken at seq 1, .*not covered by any signed checkpoint`));
    assert.match(res.out, /BROKEN {2}refused checkpoint on line \d+ \(audit:[^)]+:info\): not signed with this key, or edited/);
    const otherKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    fs.writeFileSync(path.join(dir, 'x.jsonl'), ok.text);
    const wrongKey = await runTool([path.join(dir, 'x.jsonl'), '--key', otherKey]);
    assert.equal(wrongKey.code, 1, 'under another key nothing is covered');
    assert.match(wrongKey.out, /not covered by any signed checkpoint/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a download verifies on its own (every hash, link and checkpoint), names an edited record, and the download is audited', async () => {
    const b = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    await events(b.tenantId, 4);
    const ok = await exportAndCheck(b);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, new RegExp(`ok      audit:${b.tenantId}:info: 4 record\\(s\\) verified`));
    assert.match(ok.out, new RegExp(`ok      login:${b.tenantId}/success: 1 record`));
    const edited = ok.text.split('\n').map((l) => (l.includes('"seq":2,') && l.includes(':info"') ? l.replace('"i":1', '"i":7') : l)).join('\n');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-export-'));
    fs.writeFileSync(path.join(dir, 'x.jsonl'), edited);
    const res = await runTool([path.join(dir, 'x.jsonl'), '--key', key.publicKeyPem]);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(res.code, 1);
    assert.match(res.out, new RegExp(`BROKEN  audit:${b.tenantId}:info: first broken at seq 2, row id \\d+, line \\d+: content does not match its hash`));
    const logged = await inWholeTenant(t.owner, b.tenantId, (trx) => trx('audit_events').where({ tenant_id: b.tenantId, type: 'audit.exported' }).first('chain', 'details'));
    assert.equal(logged.chain, 'review');
    assert.equal(logged.details.records >= 5, true);
  });

  it('retention cuts the old end; the rest verifies against its checkpoints and a download still verifies from its anchor', async () => {
    const b = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    await events(b.tenantId, 3, new Date(t.clock.now().getTime() - 40 * 86_400_000));
    await checkpoints.checkpoint([b.tenantId]);
    await events(b.tenantId, 2);
    await checkpoints.checkpoint([b.tenantId]);
    const retention = retentionDb();
    await purgeChainedRecords(retention, t.clock.now(), [b.tenantId]);
    await retention.destroy();
    const r = await verify(b.tenantId);
    assert.deepEqual([r.ok, r.rows, r.checkpoint?.seq], [true, 2, 5]);
    assert.equal((await checkpoints.checkpoint([b.tenantId])).refused.length, 0);
    await events(b.tenantId, 1);
    assert.equal((await checkpoints.checkpoint([b.tenantId])).signed.length, 1, 'the cut chain is signed on');
    const exported = await exportAndCheck(b);
    assert.equal(exported.code, 0, exported.out);
  });
});

