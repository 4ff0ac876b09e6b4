import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import argon2 from 'argon2';
import type { Knex } from 'knex';
import { createKnex } from '../../backend/src/db/connection.js';
import { freePort } from '../../backend/src/net/free-port.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');


export interface BenchServer {
  base: string;
  home: string;
  server: ChildProcess;
  /** Cookie and Origin of the signed-in demo analyst. */
  headers: Record<string, string>;
  tenantId: string;
  owner: Knex;
  api: Knex;
  cli: (...args: string[]) => string;
  stop(): Promise<void>;
}

/**
 * The compiled server on its own embedded PostgreSQL in a throw-away home, with the demo bank and
 * its analyst signed in (the bench sets the analyst's password directly with the owner role).
 */
export async function startBenchServer(name: string): Promise<BenchServer> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `kontor-bench-${name}-`));
  fs.chmodSync(home, 0o711);
  const [apiPort, pgPort] = [await freePort(), await freePort()];
  const env = { ...process.env, PORT: String(apiPort), KONTOR_HOME: home, KONTOR_PG_PORT: String(pgPort), LOG_LEVEL: 'warn', DATABASE_URL: '', SMTP_URL: '' };
  const cli = (...args: string[]) => execFileSync(process.execPath, [path.join(root, 'backend/dist/backend/src/cli/main.js'), ...args], { env, encoding: 'utf8' });
  const base = `http://127.0.0.1:${apiPort}`;
  const server = spawn(process.execPath, [path.join(root, 'backend/dist/backend/src/main.js')], { env, stdio: 'ignore' });
  const stop = async () => {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    fs.rmSync(home, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/api/health`)).ok) break;
      } catch { /* starting */ }
      if (i > 300) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    cli('demo', '--groups', '10');
    const secrets = JSON.parse(fs.readFileSync(path.join(home, 'secrets.json'), 'utf8')) as { pgOwnerPassword: string; pgApiPassword: string };
    const owner = createKnex(`postgres://kontor_owner:${secrets.pgOwnerPassword}@127.0.0.1:${pgPort}/kontor`, 2);
    const api = createKnex(`postgres://kontor_app:${secrets.pgApiPassword}@127.0.0.1:${pgPort}/kontor`, 4);
    const email = 'demo-analyst@sparkasse-musterstadt.example';
    const password = 'bench analyst passphrase';
    const user = await owner('users').where({ email }).first('id', 'tenant_id');
    await owner('password_credentials').insert({ user_id: user.id, hash: await argon2.hash(password, { type: argon2.argon2id }) }).onConflict('user_id').merge();
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { origin: base, 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    return {
      base, home, server, headers: { origin: base, cookie }, tenantId: user.tenant_id as string, owner, api, cli,
      stop: async () => {
        await owner.destroy();
        await api.destroy();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Creates a container as the analyst and returns its id. */
export async function newContainer(s: BenchServer, name: string): Promise<string> {
  const res = await fetch(`${s.base}/api/containers`, { method: 'POST', headers: { ...s.headers, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  return ((await res.json()) as { id: string }).id;
}

/** Polls a progress route (as background work) until it reports an end state. */
export async function waitUntilDone(s: BenchServer, route: string, intervalMs = 200): Promise<string> {
  for (;;) {
    const state = (await (await fetch(`${s.base}/api${route}`, { headers: { ...s.headers, 'x-kontor-background': '1' } })).json()) as { status: string };
    if (state.status === 'succeeded' || state.status === 'failed') return state.status;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
