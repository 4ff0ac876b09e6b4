import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startEmbeddedPostgres } from '../db/embedded.js';
import type { Logger } from '../log/logger.js';
import { BackupSession } from './backup-store.js';
import { assertEmptyOrMissing, BackupRefused, copyHashed, FILE_MODE, makePrivateDir, MANIFEST, type FileEntry } from './manifest.js';

/**
 * Files of $KONTOR_HOME that belong in a backup besides the database: the secrets (database
 * passwords, the TOTP key that decrypts second factors, the session and sign-in hash keys) and the
 * audit checkpoint signing key with its checkpoints, when the installation has them.
 */
export const HOME_FILES = ['secrets.json', 'checkpoint-key.pem'];
export const HOME_DIRS = ['checkpoints'];

/** What pg_basebackup leaves out of a data directory (PostgreSQL's basebackup.c): runtime state rebuilt at start. */
const EMPTY_DIRS = new Set(['pg_wal', 'pg_stat_tmp', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans']);
const SKIP_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'pg_internal.init', 'backup_label', 'tablespace_map', 'backup_label.old',
  'standby.signal', 'recovery.signal', 'postgresql.auto.conf.tmp', 'current_logfiles']);

export interface BackupManifest {
  format: 'kontor-backup-1';
  createdAt: string;
  postgres: { version: string; startLsn: string; stopLsn: string; startWalFile: string; stopWalFile: string };
  /** Every directory of the restored home, so empty ones PostgreSQL needs (pg_wal/archive_status, pg_notify …) come back. */
  directories: string[];
  files: FileEntry[];
}

export interface BackupResult {
  dir: string;
  manifest: BackupManifest;
  bytes: number;
}

/** Test seams: the drill writes while the copy runs and notes the state at the backup's end point. */
export interface BackupHooks {
  afterStart?: () => Promise<void>;
  beforeStop?: () => Promise<void>;
}

/**
 * An online physical backup of the embedded installation at `home`: the data directory copied
 * between pg_backup_start and pg_backup_stop (as the cluster's superuser, attaching to the running
 * server or starting it), the WAL from the start to the stop position, and the home's secrets.
 * Restored, PostgreSQL replays that WAL and arrives at the state of the backup's end point.
 */
export async function takeBackup(options: {
  home: string;
  pgPort: number;
  out: string;
  logger: Logger;
  now: () => Date;
  hooks?: BackupHooks;
}): Promise<BackupResult> {
  const { home, out } = options;
  const secretsFile = path.join(home, 'secrets.json');
  if (!fs.existsSync(secretsFile)) throw new BackupRefused(`${home} holds no Kontor installation (no secrets.json).`);
  const dataDir = path.join(home, 'pg');
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) throw new BackupRefused(`${home} holds no embedded database (no pg/PG_VERSION); with DATABASE_URL see docs/operations.md.`);
  assertEmptyOrMissing(out, 'The backup directory');
  const superPassword = (JSON.parse(fs.readFileSync(secretsFile, 'utf8')) as { pgSuperPassword?: string }).pgSuperPassword;
  if (!superPassword) throw new BackupRefused('secrets.json has no pgSuperPassword.');

  makePrivateDir(out);
  try {
    return await copyInstallation({ ...options, dataDir, superPassword });
  } catch (err) {
    // A half-written backup must never pass for one: the directory was new or empty, so it goes.
    fs.rmSync(out, { recursive: true, force: true });
    throw err;
  }
}

async function copyInstallation(options: Parameters<typeof takeBackup>[0] & { dataDir: string; superPassword: string }): Promise<BackupResult> {
  const { home, out, logger, dataDir, superPassword } = options;
  const files: FileEntry[] = [];
  const directories: string[] = [];
  const addDir = (rel: string) => {
    makePrivateDir(path.join(out, rel));
    directories.push(rel);
  };

  // Checkpoints first: every one of them is then older than the database copy, so the restored chains reach them all.
  for (const dir of HOME_DIRS) {
    const from = path.join(home, dir);
    if (!fs.existsSync(from)) continue;
    addDir(dir);
    await copyTree(from, out, dir, files, addDir, () => false);
  }
  for (const name of HOME_FILES) {
    const from = path.join(home, name);
    if (fs.existsSync(from)) files.push(await copyHashed(from, path.join(out, name), name));
  }

  const db = await startEmbeddedPostgres({ dataDir, port: options.pgPort, superPassword, logger });
  let session: BackupSession | undefined;
  try {
    session = await BackupSession.open(db.superUrl('postgres'));
    const settings = await session.settings();
    if (fs.realpathSync(settings.dataDirectory) !== fs.realpathSync(dataDir)) {
      throw new BackupRefused(`The PostgreSQL on port ${options.pgPort} serves another data directory than ${dataDir}; check KONTOR_PG_PORT.`);
    }
    if (settings.walLevel === 'minimal') throw new BackupRefused('wal_level is minimal: an online backup needs replica.');
    if (settings.tablespaces > 0) throw new BackupRefused('The cluster has tablespaces besides the default ones; this backup copies pg/ only.');

    await session.reserveWal(`kontor_backup_${randomBytes(6).toString('hex')}`);
    const start = await session.start(`kontor ${options.now().toISOString()}`);
    logger.info({ lsn: start.lsn }, 'backup started');
    await options.hooks?.afterStart?.();

    addDir('pg');
    await copyTree(dataDir, out, 'pg', files, addDir, (rel, isDir) => {
      const name = path.posix.basename(rel);
      const parent = path.posix.dirname(rel).slice('pg/'.length);
      if (name.startsWith('pgsql_tmp') || EMPTY_DIRS.has(parent.split('/')[0]!)) return true;
      // Temporary relations (t<backend>_<file>) die with their session, as in pg_basebackup.
      return !isDir && (SKIP_FILES.has(name) || /^t\d+_\d+/.test(name));
    });
    for (const dir of ['pg/pg_wal/archive_status', 'pg/pg_wal/summaries']) addDir(dir);

    await options.hooks?.beforeStop?.();
    const stop = await session.stop();
    logger.info({ lsn: stop.lsn }, 'backup stopped');
    files.push(writePrivate(out, 'pg/backup_label', stop.labelFile));
    if (stop.tablespaceMap) files.push(writePrivate(out, 'pg/tablespace_map', stop.tablespaceMap));

    // The WAL from the start checkpoint to the stop position; the slot kept every segment in between.
    const walDir = path.join(dataDir, 'pg_wal');
    const wanted = fs.readdirSync(walDir).filter((f) => (/^[0-9A-F]{24}$/.test(f) && f >= start.walFile && f <= stop.walFile) || /^[0-9A-F]{8}\.history$/.test(f)).sort();
    if (!wanted.includes(start.walFile) || !wanted.includes(stop.walFile)) throw new Error('a WAL segment of the backup is missing');
    for (const f of wanted) files.push(await copyHashed(path.join(walDir, f), path.join(out, 'pg', 'pg_wal', f), `pg/pg_wal/${f}`));

    const manifest: BackupManifest = {
      format: 'kontor-backup-1',
      createdAt: options.now().toISOString(),
      postgres: { version: settings.serverVersion, startLsn: start.lsn, stopLsn: stop.lsn, startWalFile: start.walFile, stopWalFile: stop.walFile },
      directories,
      files,
    };
    fs.writeFileSync(path.join(out, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`, { mode: FILE_MODE, flag: 'wx' });
    return { dir: out, manifest, bytes: files.reduce((n, f) => n + f.size, 0) };
  } finally {
    await session?.close();
    await db.stop();
  }
}

function writePrivate(out: string, rel: string, content: string): FileEntry {
  fs.writeFileSync(path.join(out, ...rel.split('/')), content, { mode: FILE_MODE, flag: 'wx' });
  const data = Buffer.from(content);
  return { path: rel, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/** Copies a tree file by file (`root` is the source of `rel`'s first segment); files that vanish while it runs (a dropped table) are skipped, as pg_basebackup does. */
async function copyTree(
  root: string, out: string, rel: string, files: FileEntry[], addDir: (rel: string) => void, skip: (rel: string, isDir: boolean) => boolean,
): Promise<void> {
  const abs = path.join(root, ...rel.split('/').slice(1));
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(abs, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const childRel = `${rel}/${entry.name}`;
    if (skip(childRel, entry.isDirectory())) continue;
    if (entry.isDirectory()) {
      addDir(childRel);
      await copyTree(root, out, childRel, files, addDir, skip);
    } else if (entry.isFile()) {
      const target = path.join(out, ...childRel.split('/'));
      try {
        files.push(await copyHashed(path.join(abs, entry.name), target, childRel));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
}
