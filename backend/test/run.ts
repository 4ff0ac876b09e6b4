/**
 * Runs every backend test file with node's test runner against a real PostgreSQL.
 * Unless KONTOR_TEST_DATABASE_URL / KONTOR_TEST_DATABASE_OWNER_URL point at one, it starts a
 * throw-away embedded cluster on a free port, migrates it, and removes it afterwards.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureEmbeddedRolesAndDatabase } from '../src/db/bootstrap.js';
import { createKnex } from '../src/db/connection.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { DATABASE_NAME, EMBEDDED_API_LOGIN, OWNER_ROLE, RETENTION_ROLE } from '../src/db/roles.js';
import { createLogger } from '../src/log/logger.js';
import { systemClock } from '../src/clock.js';
import { randomBytes } from 'node:crypto';
import { freePort } from '../src/net/free-port.js';

/** Spec output for people; the root test runner adds its machine-readable reporter (KONTOR_TEST_REPORTERS, JSON). */
function reporters(): string[] {
  return process.env.KONTOR_TEST_REPORTERS ? (JSON.parse(process.env.KONTOR_TEST_REPORTERS) as string[]) : ['--test-reporter=spec'];
}

const here = path.dirname(fileURLToPath(import.meta.url));

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? testFiles(path.join(dir, e.name)) : e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : []))
    .sort();
}

const filter = process.argv.slice(2);
const files = testFiles(here).filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)));

let stop: (() => Promise<void>) | undefined;
const env = { ...process.env };
if (!env.KONTOR_TEST_DATABASE_URL) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-test-'));
  fs.chmodSync(home, 0o711);
  const port = await freePort();
  const pw = { super: randomBytes(24).toString('hex'), owner: randomBytes(24).toString('hex'), api: randomBytes(24).toString('hex'), retention: randomBytes(24).toString('hex') };
  const logger = createLogger({ level: 'warn', clock: systemClock });
  const pg = await startEmbeddedPostgres({ dataDir: path.join(home, 'pg'), port, superPassword: pw.super, logger });
  stop = async () => {
    await pg.stop();
    fs.rmSync(home, { recursive: true, force: true });
  };
  await ensureEmbeddedRolesAndDatabase(pg.superUrl('postgres'), { owner: pw.owner, api: pw.api, retention: pw.retention });
  env.KONTOR_TEST_DATABASE_OWNER_URL = `postgres://${OWNER_ROLE}:${pw.owner}@127.0.0.1:${port}/${DATABASE_NAME}`;
  env.KONTOR_TEST_DATABASE_URL = `postgres://${EMBEDDED_API_LOGIN}:${pw.api}@127.0.0.1:${port}/${DATABASE_NAME}`;
  env.KONTOR_TEST_SUPER_URL = pg.superUrl(DATABASE_NAME);
  env.KONTOR_TEST_RETENTION_URL = `postgres://${RETENTION_ROLE}:${pw.retention}@127.0.0.1:${port}/${DATABASE_NAME}`;
}
const owner = createKnex(env.KONTOR_TEST_DATABASE_OWNER_URL!, 1);
await migrateToLatest(owner);
await owner.destroy();

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', ...reporters(), '--test-concurrency=2', ...files],
  { stdio: 'inherit', env },
);
const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
if (stop) await stop();
process.exit(code);
