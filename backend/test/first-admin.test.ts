import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureFirstSuperadmin } from '../src/auth/first-admin.js';
import { PasswordHasher } from '../src/auth/password-hasher.js';
import { systemClock } from '../src/clock.js';
import { createKnex } from '../src/db/connection.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { capturingLogger } from './helpers/logger.js';

/** Runs against a database of its own: the shared test database already has users. */
const superUrl = process.env.KONTOR_TEST_SUPER_URL;
const dbName = `kontor_first_${process.pid}`;
let home: string;

before(async () => {
  if (!superUrl) return;
  const su = createKnex(superUrl, 1);
  await su.raw(`create database ${dbName} owner kontor_owner`);
  await su.destroy();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-first-'));
});

after(async () => {
  if (!superUrl) return;
  const su = createKnex(superUrl, 1);
  await su.raw(`drop database if exists ${dbName} with (force)`);
  await su.destroy();
  fs.rmSync(home, { recursive: true, force: true });
});

function urlFor(envName: string): string {
  const u = new URL(process.env[envName]!);
  u.pathname = `/${dbName}`;
  return u.toString();
}

describe('first superadmin', { skip: !superUrl && 'needs the embedded test cluster' }, () => {
  it('is created once on an empty database, with a random password in a 0600 file and a forced change', async () => {
    const owner = createKnex(urlFor('KONTOR_TEST_DATABASE_OWNER_URL'), 1);
    await migrateToLatest(owner);
    await owner.destroy();
    const api = createKnex(urlFor('KONTOR_TEST_DATABASE_URL'), 2);
    const { logger, lines } = capturingLogger();
    const hasher = new PasswordHasher();
    try {
      const file = await ensureFirstSuperadmin({ db: api, hasher, clock: systemClock, logger, home, email: 'admin@localhost' });
      assert.equal(file, path.join(home, 'initial-admin.txt'));
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const password = /password: (\S+)/.exec(fs.readFileSync(file, 'utf8'))?.[1];
      assert.ok(password && password.length >= 20);
      const user = await api('users').where({ email: 'admin@localhost' }).first();
      assert.equal(user.must_change_password, true);
      const cred = await api('password_credentials').where({ user_id: user.id }).first('hash');
      assert.match(cred.hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      assert.ok(await hasher.verify(cred.hash, password));
      assert.ok(!lines.join('').includes(password), 'the password reached the log');
      const vendor = await api('tenants').where({ id: user.tenant_id }).first('is_vendor');
      assert.equal(vendor.is_vendor, true);
      assert.equal(await ensureFirstSuperadmin({ db: api, hasher, clock: systemClock, logger, home, email: 'admin@localhost' }), undefined);
      assert.equal(Number((await api('users').count({ n: '*' }))[0]!.n), 1);
    } finally {
      await api.destroy();
    }
  });

  it('no credential literal ships in migrations', () => {
    const dir = path.resolve(import.meta.dirname, '../../migrations');
    for (const f of fs.readdirSync(dir)) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      assert.doesNotMatch(text, /password_credentials'\)\.insert|\$argon2/, f);
    }
  });
});

describe('password hashing queue', () => {
  it('runs at most 2 hashes at once and answers busy when the queue is full', async () => {
    const hasher = new PasswordHasher(2, 2);
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => hasher.hash(`pw-${i}`)));
    const busy = results.filter((r) => r.status === 'rejected');
    assert.equal(busy.length, 2);
    assert.equal((busy[0] as PromiseRejectedResult).reason.code, 'busy');
    assert.equal((busy[0] as PromiseRejectedResult).reason.status, 503);
  });
});
