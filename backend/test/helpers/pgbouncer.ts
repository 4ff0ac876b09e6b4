import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/net/free-port.js';

/**
 * Debian's PgBouncer for the test suite, in transaction mode in front of a test PostgreSQL: its
 * configuration and user list are written at run time into `dir` (passwords are the caller's,
 * generated per run), it listens on a free loopback port and runs in the foreground. PgBouncer
 * refuses to run as root, so as root it runs as `nobody`, which then owns those files.
 */
export interface TestPgBouncer {
  port: number;
  /** A URL through PgBouncer for one of the listed users. */
  url(user: string, password: string, database: string): string;
  /** `SHOW STATS` of the admin console, as the stats user: transactions per database. */
  transactions(database: string, statsUser: string, password: string): Promise<number>;
  /** `SHOW SERVERS`: the PostgreSQL backend pids of PgBouncer's server connections. */
  serverPids(statsUser: string, password: string): Promise<number[]>;
  stop(): Promise<void>;
}

const BIN = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'];

export async function startPgBouncer(o: {
  dir: string;
  server: { host: string; port: number };
  database: string;
  /** user -> password: who may sign in (and is signed in to the server with that password). */
  users: Record<string, string>;
  /** Server connections per user and database: small, so clients share them. */
  poolSize: number;
}): Promise<TestPgBouncer> {
  const bin = BIN.find((b) => fs.existsSync(b));
  if (!bin) throw new Error('pgbouncer is not installed (Debian package pgbouncer; scripts/test-all.mjs installs it)');
  fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const userlist = path.join(o.dir, 'userlist.txt');
  fs.writeFileSync(userlist, Object.entries(o.users).map(([u, p]) => `${quote(u)} ${quote(p)}\n`).join(''), { mode: 0o600 });
  const ini = path.join(o.dir, 'pgbouncer.ini');
  const statsUsers = Object.keys(o.users).join(', ');
  fs.writeFileSync(ini, [
    '[databases]',
    `${o.database} = host=${o.server.host} port=${o.server.port} dbname=${o.database}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${userlist}`,
    'pool_mode = transaction',
    `default_pool_size = ${o.poolSize}`,
    'min_pool_size = 0',
    'reserve_pool_size = 0',
    `max_db_connections = ${o.poolSize}`,
    'max_client_conn = 500',
    // Transaction mode runs no reset between clients: whatever a transaction leaves in its session stays.
    'server_reset_query =',
    `stats_users = ${statsUsers}`,
    '',
  ].join('\n'), { mode: 0o600 });
  const asRoot = process.getuid?.() === 0;
  const nobody = asRoot ? { uid: Number(execFileSync('id', ['-u', 'nobody']).toString()), gid: Number(execFileSync('id', ['-g', 'nobody']).toString()) } : undefined;
  if (nobody) for (const f of [o.dir, userlist, ini]) fs.chownSync(f, nobody.uid, nobody.gid);
  const child: ChildProcess = spawn(bin, [ini], { stdio: ['ignore', 'ignore', 'pipe'], ...(nobody ?? {}) });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-4000); });
  const firstUser = Object.entries(o.users)[0]!;
  /** One command of the admin console (simple protocol, no parameters). */
  async function console<Row extends pg.QueryResultRow>(command: string, user: string, password: string): Promise<Row[]> {
    const admin = new pg.Client({ connectionString: bouncer.url(user, password, 'pgbouncer') });
    await admin.connect();
    try {
      return (await admin.query<Row>(command)).rows;
    } finally {
      await admin.end();
    }
  }
  const bouncer: TestPgBouncer = {
    port,
    url: (user, password, database) => `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    async transactions(database, statsUser, password) {
      const rows = await console<{ database: string; total_xact_count: string }>('SHOW STATS', statsUser, password);
      return Number(rows.find((r) => r.database === database)?.total_xact_count ?? 0);
    },
    async serverPids(statsUser, password) {
      return (await console<{ remote_pid: string }>('SHOW SERVERS', statsUser, password)).map((r) => Number(r.remote_pid));
    },
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
  for (let i = 0; ; i++) {
    const probe = new pg.Client({ connectionString: bouncer.url(firstUser[0], firstUser[1], o.database) });
    try {
      await probe.connect();
      await probe.query('select 1');
      await probe.end();
      break;
    } catch (err) {
      await probe.end().catch(() => undefined);
      if (child.exitCode !== null || i > 100) {
        await bouncer.stop();
        throw new Error(`pgbouncer did not start: ${output} ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return bouncer;
}
