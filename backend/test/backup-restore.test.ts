import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAll } from '../src/audit/chains.js';
import { loadOrCreateSigningKey } from '../src/audit/checkpoint-key.js';
import { CheckpointService } from '../src/audit/checkpoints.js';
import { takeBackup } from '../src/backup/physical-backup.js';
import { restoreBackup } from '../src/backup/restore.js';
import { BackupRefused } from '../src/backup/manifest.js';
import { generate } from '../src/demo/generator.js';
import { createLogger } from '../src/log/logger.js';
import { systemClock } from '../src/clock.js';
import { Client } from './helpers/client.js';
import { createBank, databaseState, importContainer, startInstallation, tempDir, type BankUser, type Installation } from './helpers/installation.js';

/**
 * The restore drill: a whole installation (own KONTOR_HOME, embedded PostgreSQL, HTTP) is backed up
 * while imports and sign-ins run, restored into a new home and started; it must hold exactly what
 * the source held at the backup's end point, sign everyone in (passwords and second factors) and
 * verify every audit chain. A backup with one changed byte is refused, naming the file.
 */
const logger = createLogger({ level: 'silent', clock: systemClock, toStdout: false, destination: { write: () => undefined } });
const dirs: string[] = [];
const temp = (p: string) => {
  const d = tempDir(p);
  dirs.push(d);
  return d;
};

let source: Installation;
let users: BankUser[];
let tenantId: string;
let filesDir: string;

before(async () => {
  source = await startInstallation(temp('kontor-src-'));
  filesDir = temp('kontor-files-');
  await generate({ groups: 300, seed: 7, outDir: filesDir });
  ({ tenantId, users } = await createBank(source, 'Sparkasse Quelle', { users: 6, withFactor: 2 }));
  await importContainer(source, tenantId, 'Bestand 0', filesDir);
});

after(async () => {
  await source?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function signIn(url: string, user: BankUser, codeAt?: (secret: string) => string): Promise<number> {
  const client = new Client(url);
  const first = await client.post('/api/auth/login', { email: user.email, password: user.password });
  if (first.status !== 200 || !first.body?.secondFactorRequired) return first.status;
  assert.ok(user.totp && codeAt, `${user.email} was asked for a second factor it does not have`);
  return (await client.post('/api/auth/login/second-factor', { code: codeAt(user.totp) })).status;
}

describe('backup and restore of a running installation', () => {
  let backupDir: string;
  let atEndPoint: Awaited<ReturnType<typeof databaseState>>;
  let writesDuringCopy = 0;

  it('backs up while imports and sign-ins run, and restores exactly the state at its end point', async () => {
    backupDir = path.join(temp('kontor-backups-'), 'b1');
    const passwordUsers = users.filter((u) => !u.totp);
    let stopping = false;
    let copying = false;
    const writers: Promise<void>[] = [];
    const failures: unknown[] = [];
    const loop = (work: (i: number) => Promise<void>) => writers.push((async () => {
      for (let i = 0; !stopping; i++) {
        try {
          await work(i);
          if (copying) writesDuringCopy++;
        } catch (err) {
          failures.push(err);
          return;
        }
      }
    })());
    for (let w = 0; w < 2; w++) loop((i) => importContainer(source, tenantId, `Lauf ${w}-${i}`, filesDir).then(() => undefined));
    for (let w = 0; w < 4; w++) {
      loop(async (i) => {
        const status = await signIn(source.url, passwordUsers[(w + i) % passwordUsers.length]!);
        assert.equal(status, 200);
      });
    }
    // The audit signing key (generated at the first start) and real signed checkpoints travel with the backup.
    const signer = new CheckpointService({ db: source.server.database.api, home: source.home, key: loadOrCreateSigningKey(source.home), clock: systemClock, logger });
    await signer.checkpoint();
    const checkpointFiles = fs.readdirSync(path.join(source.home, 'checkpoints')).map((f) => `checkpoints/${f}`);
    assert.ok(checkpointFiles.length > 0, 'a checkpoint was signed');
    await new Promise((r) => setTimeout(r, 300));

    const result = await takeBackup({
      home: source.home, pgPort: (source.config.database as { port: number }).port, out: backupDir, logger, now: () => new Date(),
      hooks: {
        afterStart: async () => {
          copying = true;
          // Let the writers work while the copy runs (the copy of a small cluster takes well under a second).
          await new Promise((r) => setTimeout(r, 1500));
        },
        beforeStop: async () => {
          stopping = true;
          await Promise.all(writers);
          atEndPoint = await databaseState(source.superDb);
        },
      },
    });
    assert.deepEqual(failures, []);
    assert.ok(writesDuringCopy >= 4, `only ${writesDuringCopy} imports and sign-ins finished while the backup ran`);
    // Written after the end point: not in the backup.
    assert.equal(await signIn(source.url, passwordUsers[0]!), 200);

    // Files and directories are the operator's alone; the manifest lists every file.
    for (const f of result.manifest.files) assert.equal(fs.statSync(path.join(backupDir, f.path)).mode & 0o777, 0o600, f.path);
    for (const d of ['.', ...result.manifest.directories]) assert.equal(fs.statSync(path.join(backupDir, d)).mode & 0o777, 0o700, d);
    assert.equal(fs.statSync(path.join(backupDir, 'manifest.json')).mode & 0o777, 0o600);
    const names = result.manifest.files.map((f) => f.path);
    for (const name of ['secrets.json', 'pg/backup_label', 'pg/PG_VERSION', `pg/pg_wal/${result.manifest.postgres.stopWalFile}`]) assert.ok(names.includes(name), name);
    assert.ok(!names.includes('pg/postmaster.pid'), 'postmaster.pid');

    const home = temp('kontor-restored-');
    const restored = await restoreBackup({ from: backupDir, home, logger });
    assert.ok(restored.databases.includes('kontor'), restored.databases.join());
    for (const f of ['secrets.json', 'checkpoint-key.pem', ...checkpointFiles]) {
      assert.ok(fs.readFileSync(path.join(home, f)).equals(fs.readFileSync(path.join(source.home, f))), `${f} restored`);
      assert.equal(fs.statSync(path.join(home, f)).mode & 0o777, 0o600, f);
    }
    const copy = await startInstallation(home);
    try {
      const state = await databaseState(copy.superDb);
      // Starting writes nothing that the source did not hold (no new admin, no chains touched).
      assert.deepEqual(state, atEndPoint);
      const codeAt = (secret: string) => copy.server.kontor.secondFactor.codeAt(secret, new Date());
      const statuses = await Promise.all(users.map((u) => signIn(copy.url, u, codeAt)));
      assert.deepEqual(statuses, users.map(() => 200), 'every user signs in, the admins with their second factor');
      assert.ok(users.some((u) => u.totp), 'some users have a factor');
      const chains = await verifyAll(copy.server.database.api);
      assert.ok(chains.some((c) => c.tenantId === tenantId && c.chain === 'info' && c.rows > 5), 'the bank\'s audit chain');
      assert.ok(chains.some((c) => c.chain === `${tenantId}/success` && c.rows > 5), 'the bank\'s sign-in chain');
      assert.deepEqual(chains.filter((c) => !c.ok), []);
    } finally {
      await copy.stop();
    }
  });

  it('refuses a backup with one changed byte, naming the file, and writes nothing', async () => {
    assert.ok(backupDir, 'needs the backup of the test before');
    const victim = 'pg/global/pg_control';
    const file = path.join(backupDir, victim);
    const original = fs.readFileSync(file);
    const changed = Buffer.from(original);
    changed[100] = changed[100]! ^ 0x01;
    fs.writeFileSync(file, changed);
    const home = path.join(temp('kontor-refused-'), 'home');
    try {
      await assert.rejects(restoreBackup({ from: backupDir, home, logger }), (err: Error) => err instanceof BackupRefused && err.message.includes(victim));
      assert.equal(fs.existsSync(home), false);
    } finally {
      fs.writeFileSync(file, original);
    }
    fs.writeFileSync(path.join(backupDir, 'pg', 'extra'), 'x');
    try {
      await assert.rejects(restoreBackup({ from: backupDir, home, logger }), /pg\/extra is not in the manifest/);
    } finally {
      fs.rmSync(path.join(backupDir, 'pg', 'extra'));
    }
  });

  it('refuses to restore into a KONTOR_HOME that is not empty', async () => {
    const home = temp('kontor-occupied-');
    fs.writeFileSync(path.join(home, 'secrets.json'), '{}');
    await assert.rejects(restoreBackup({ from: backupDir, home, logger }), /is not empty/);
    assert.equal(fs.readFileSync(path.join(home, 'secrets.json'), 'utf8'), '{}');
  });
});
