/**
 * Kontor through the blind relay (docs/relay.md): Chromium asks for https://kontor.test:<relay
 * port>/ (the name resolved to loopback, so the ClientHello carries it as SNI); the relay, in this
 * process with its byte-capturing test hook, passes the bytes into the SSH tunnel that the real
 * `kontor tunnel` program opened from the "data server"; there a second nginx with the production
 * server blocks listens on a Unix socket only, and ends TLS.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import ssh2 from 'ssh2';
import { launchChromium } from '../lib/browser.js';
import { kontorCli } from '../lib/cli.js';
import { mailCount, waitForMail } from '../lib/mail-drop.js';
import { atPath, newPage, signIn } from '../lib/pages.js';
import { startProcess, stopProcess } from '../lib/processes.js';
import { isLoopback, listenerPid, processTree, renderTunnelledConfig, tcpListeners } from '../lib/relay.js';

const HOST = 'kontor.test';
const MARKER = 'Relay-Marker-7f3a9c';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(repoRoot, 'backend/dist/backend/src');
const mailDir = process.env.E2E_MAIL_DIR!;
const analyst = 'demo-analyst@sparkasse-musterstadt.example';
/** containers.test.ts sets this password when it accepts the demo invitation first. */
const CONTAINERS_SUITE_PASSWORD = 'Bestandsdaten sauber 2026';

interface RelayHandle { tlsPort: number; tunnelPort: number; tunnels(h: string): number; close(): Promise<void> }
type StartRelay = (o: Record<string, unknown>) => Promise<RelayHandle>;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-e2e-relay-'));
fs.chmodSync(work, 0o755);
const sockets = path.join(work, 'sockets');
fs.mkdirSync(sockets, { mode: 0o755 });
const keys = path.join(work, 'keys');
fs.mkdirSync(keys, { mode: 0o700 });
const captured: { direction: string; chunk: Buffer }[] = [];
const relayLog: string[] = [];
let browser: Browser;
let nginx: ChildProcess;
let tunnel: ChildProcess;
const tunnelLog: string[] = [];
let relay: RelayHandle;
let startRelay: StartRelay;
let relayOptions: Record<string, unknown>;
let password = 'Relay ohne offene Tuer 2026';

const node = (script: string, args: string[], env: Record<string, string> = {}) =>
  execFileSync(process.execPath, [path.join(dist, script), ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });

function runTunnel(keyFile: string, fingerprint: string, log: string[]): ChildProcess {
  const child = spawn(process.execPath, [path.join(dist, 'tunnel/main.js'), 'run'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, KONTOR_RELAY: `127.0.0.1:${relay.tunnelPort}`, KONTOR_RELAY_HOST_KEY: fingerprint, KONTOR_SERVER_NAME: HOST,
      KONTOR_TUNNEL_KEY_FILE: keyFile, KONTOR_TUNNEL_TARGET: `unix:${path.join(sockets, 'nginx.sock')}`, LOG_LEVEL: 'info',
    },
  });
  child.stdout.on('data', (c: Buffer) => log.push(...c.toString('utf8').trim().split('\n')));
  child.stderr.on('data', (c: Buffer) => log.push(c.toString('utf8')));
  return child;
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let relayHostFingerprint: string;

before(async () => {
  // nginx on the "data server": the production server blocks, TLS for kontor.test, Unix sockets only.
  const prefix = path.join(work, 'nginx');
  fs.mkdirSync(prefix, { mode: 0o755 });
  const cert = path.join(prefix, 'tls.crt');
  const key = path.join(prefix, 'tls.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const api = new URL(process.env.E2E_API_URL!);
  const { conf, socket } = renderTunnelledConfig({ repoRoot, prefix, socketDir: sockets, serverName: HOST, apiUpstream: api.host, staticRoot: path.join(repoRoot, 'frontend/dist'), tls: { cert, key } });
  nginx = startProcess('nginx', ['-c', conf, '-p', prefix, '-g', 'daemon off;'], process.env, 'nginx (tunnelled)');
  await until('nginx listens on its socket', () => fs.existsSync(socket));

  // The keys, as the operators make them.
  const hostKeyOut = node('relay/main.js', ['host-key', '--out', path.join(keys, 'relay_host_key')]);
  relayHostFingerprint = /SHA256:[A-Za-z0-9+/]{43}/.exec(hostKeyOut)![0];
  const keygen = node('tunnel/main.js', ['keygen', '--out', path.join(keys, 'tunnel_key')], { KONTOR_SERVER_NAME: HOST });
  const installation = (JSON.parse(keygen.trim().split('\n').at(-1)!) as { installation: { hostName: string; publicKey: string } }).installation;
  assert.equal(installation.hostName, HOST);

  // The relay knows a host name and a public key, nothing about where Kontor runs.
  ({ startRelay } = (await import(pathToFileURL(path.join(dist, 'relay/relay.js')).href)) as { startRelay: StartRelay });
  const { createLogger } = (await import(pathToFileURL(path.join(dist, 'log/logger.js')).href)) as { createLogger: (o: Record<string, unknown>) => unknown };
  relayOptions = {
    tls: { host: '127.0.0.1', port: 0 }, tunnel: { host: '127.0.0.1', port: 0 },
    hostKey: fs.readFileSync(path.join(keys, 'relay_host_key'), 'utf8'), installations: [installation],
    logger: createLogger({ level: 'info', clock: { now: () => new Date() }, toStdout: false, destination: { write: (l: string) => void relayLog.push(l) } }),
    onBytes: (_host: string, direction: string, chunk: Buffer) => void captured.push({ direction, chunk: Buffer.from(chunk) }),
  };
  relay = await startRelay(relayOptions);
  tunnel = runTunnel(path.join(keys, 'tunnel_key'), relayHostFingerprint, tunnelLog);
  await until('the tunnel is up', () => relay.tunnels(HOST) === 1);

  process.env.E2E_BASE_URL = `https://${HOST}:${relay.tlsPort}`;
  browser = await launchChromium([`--host-resolver-rules=MAP ${HOST} 127.0.0.1`]);
});

after(async () => {
  await browser?.close();
  if (tunnel) await stopProcess(tunnel, 'SIGTERM');
  await relay?.close();
  if (nginx) await stopProcess(nginx, 'SIGQUIT');
  fs.rmSync(work, { recursive: true, force: true });
});

const base = () => process.env.E2E_BASE_URL!;

/** The demo analyst: invited now (this suite alone), or already set up by containers.test.ts. */
async function signInAnalyst(p: Page): Promise<void> {
  const before = mailCount(mailDir);
  if (/created/.test(kontorCli('demo', '--groups', '200'))) {
    const mail = await waitForMail(mailDir, (m) => m.to.includes(analyst) && /invitation\//.test(m.text), before);
    await p.goto(/(http\S+\/invitation\/\S+)/.exec(mail.text)![1].replace(/^https?:\/\/[^/]+/, base()));
    await p.getByLabel('New password', { exact: true }).fill(password);
    await p.getByLabel('Repeat new password').fill(password);
    await p.getByRole('button', { name: 'Set password' }).click();
    await atPath(p, '/login');
  } else {
    password = CONTAINERS_SUITE_PASSWORD;
  }
  await signIn(p, analyst, password);
}

describe('Kontor through the blind relay', () => {
  let page: Page;
  let dataDir: string;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-e2e-relay-data-'));
    kontorCli('generate', '--groups', '500', '--seed', '5', '--out', dataDir);
    page = await newPage(browser);
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('Chromium opens the SPA by the host name, signs in, imports a file and downloads a result, all through the relay', async () => {
    captured.length = 0;
    await signInAnalyst(page);
    assert.equal(new URL(page.url()).host, `${HOST}:${relay.tlsPort}`);
    await page.getByRole('navigation', { name: 'Kontor' }).getByRole('link', { name: 'Data containers' }).click();
    await atPath(page, '/containers');
    await page.getByLabel('Name').fill(MARKER);
    // Creating a container opens it.
    await page.locator('[data-test-create-container-submit]').click();
    await page.locator('[data-test-container-name]').waitFor();
    const slot = page.locator('[data-test-import-slot="customer_groups"]');
    await slot.locator('[data-test-file]').setInputFiles(path.join(dataDir, 'customer_groups.csv'));
    await slot.locator('[data-test-upload]').click();
    await slot.locator('[data-test-import-succeeded]').waitFor({ timeout: 60_000 });
    assert.match((await slot.locator('[data-test-import-succeeded]').textContent()) ?? '', /500 rows/);

    await page.getByRole('navigation', { name: 'Kontor' }).getByRole('link', { name: 'Data containers' }).click();
    await page.getByRole('link', { name: 'Demo-Bestand' }).click();
    await page.locator('[data-test-calculations]').waitFor();
    const runs = page.locator('[data-test-open-result]');
    const before = await runs.count();
    await page.locator('[data-test-kind]').selectOption('leasing');
    await page.locator('[data-test-start]').click();
    await runs.nth(before).waitFor({ timeout: 60_000 });
    await runs.first().click();
    await page.locator('[data-test-leasing-total]').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test-download]').click()]);
    const csv = fs.readFileSync((await download.path()), 'utf8');
    assert.match(csv, /^group_id;score;class;potential\n/);

    // What the relay passed: a lot of bytes, all of them TLS records, none of them readable.
    const toKontor = Buffer.concat(captured.filter((c) => c.direction === 'to-kontor').map((c) => c.chunk));
    const toBrowser = Buffer.concat(captured.filter((c) => c.direction === 'to-browser').map((c) => c.chunk));
    assert.ok(toKontor.length > 10_000 && toBrowser.length > 100_000, `bytes passed: ${toKontor.length} in, ${toBrowser.length} out`);
    for (const [name, stream] of [['to Kontor', toKontor], ['to the browser', toBrowser]] as const) {
      for (const plain of [MARKER, 'group_id;', analyst, password, '/api/', 'HTTP/']) {
        assert.equal(stream.indexOf(plain), -1, `"${plain}" in the bytes ${name}`);
      }
    }
  });

  it('the data server has no TCP listener but loopback ports the relay is not told about; nginx and the tunnel have none', () => {
    const apiPort = Number(new URL(process.env.E2E_API_URL!).port);
    const server = listenerPid(apiPort);
    assert.ok(server, 'the API process is found by its port');
    const nginxTree = processTree(nginx.pid!);
    const tunnelTree = processTree(tunnel.pid!);
    assert.ok(nginxTree.length >= 2, 'nginx master and worker');
    assert.deepEqual(tcpListeners([...nginxTree, ...tunnelTree]), [], 'the tunnelled nginx and the tunnel listen on no TCP port');
    const kontor = tcpListeners(processTree(server));
    assert.ok(kontor.length >= 2, 'the API and its embedded PostgreSQL listen');
    for (const l of kontor) assert.ok(isLoopback(l.address), `pid ${l.pid} listens on ${l.address}:${l.port}`);
    // All the relay is told: its own two listeners, its host key, and a host name with a public key.
    assert.deepEqual(Object.keys(relayOptions).sort(), ['hostKey', 'installations', 'logger', 'onBytes', 'tls', 'tunnel']);
    assert.deepEqual((relayOptions.installations as object[]).map((i) => Object.keys(i).sort()), [['hostName', 'publicKey']]);
  });

  it('refuses a tunnel with a key it was not configured with', async () => {
    node('tunnel/main.js', ['keygen', '--out', path.join(keys, 'stranger_key')], { KONTOR_SERVER_NAME: HOST });
    const log: string[] = [];
    const before = relayLog.length;
    const stranger = runTunnel(path.join(keys, 'stranger_key'), relayHostFingerprint, log);
    await until('the stranger was refused', () => relayLog.slice(before).some((l) => l.includes('tunnel key refused')) && log.some((l) => l.includes('tunnel connection failed')));
    await stopProcess(stranger, 'SIGTERM');
    assert.equal(relay.tunnels(HOST), 1, 'only the installation\'s own tunnel is up');
    assert.ok(!log.some((l) => l.includes('"tunnel up"')));
  });

  it('survives a relay restart: after the tunnel reconnects, the browser\'s next request works', async () => {
    const ports = { tls: relay.tlsPort, tunnel: relay.tunnelPort };
    await relay.close();
    await until('the tunnel noticed', () => tunnelLog.some((l) => l.includes('tunnel down')));
    relay = await startRelay({ ...relayOptions, tls: { host: '127.0.0.1', port: ports.tls }, tunnel: { host: '127.0.0.1', port: ports.tunnel } });
    await until('the tunnel reconnected', () => relay.tunnels(HOST) === 1, 40_000);
    await page.goto(`${base()}/containers`);
    await page.getByRole('link', { name: MARKER }).waitFor();
  });

  it('the relay cannot open any channel to the Kontor side: each attempt is refused and logged there', async () => {
    const ports = { tunnel: relay.tunnelPort };
    await relay.close();
    const attempts: Record<string, Error | undefined> = {};
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    // A relay gone bad: same host key, same port, and it tries everything once the tunnel is in.
    const evil = new ssh2.Server({ hostKeys: [relayOptions.hostKey as string] }, (client) => {
      client.on('authentication', (ctx) => ctx.accept());
      client.on('request', (accept, _reject, _name, info) => {
        accept?.(info.bindPort);
        void (async () => {
          const attempt = (name: string, fn: (cb: (err: Error | undefined) => void) => void) =>
            new Promise<void>((resolve) => fn((err) => resolve(void (attempts[name] = err))));
          await attempt('another name', (cb) => client.forwardOut('intranet.bank.test', 443, '10.0.0.1', 1, cb));
          await attempt('another port', (cb) => client.forwardOut(HOST, 22, '10.0.0.1', 1, cb));
          await attempt('x11', (cb) => client.x11('10.0.0.1', 1, cb));
          await attempt('streamlocal', (cb) => client.openssh_forwardOutStreamLocal('/run/postgresql/.s.PGSQL.5432', cb));
          const internals = client as unknown as { _chanMgr: { add(cb: unknown): number }; _protocol: { _server: boolean; session(c: number, w: number, p: number): void } };
          await new Promise<void>((resolve) => {
            const chan = internals._chanMgr.add(Object.assign((err: Error | undefined) => resolve(void (attempts.session = err)), { type: 'session' }));
            internals._protocol._server = false;
            internals._protocol.session(chan, 2 ** 21, 32768);
            internals._protocol._server = true;
          });
          done();
        })();
      });
    });
    await new Promise<void>((r) => evil.listen(ports.tunnel, '127.0.0.1', r));
    try {
      await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error(`the hostile relay got no tunnel: tried ${Object.keys(attempts).join(', ')}; tunnel log: ${tunnelLog.slice(-5).join(' | ')}`)), 30_000))]);
      await until('the tunnel logged each refusal', () => tunnelLog.filter((l) => l.includes('relay channel refused')).length >= 5);
    } finally {
      // The tunnel first: the SSH server's close waits for its last connection.
      await stopProcess(tunnel, 'SIGTERM');
      await new Promise((r) => evil.close(r));
    }
    for (const [name, err] of Object.entries(attempts)) assert.ok(err instanceof Error, `${name} refused`);
    assert.equal(Object.keys(attempts).length, 5);
    const channels = tunnelLog.filter((l) => l.includes('relay channel refused')).map((l) => (JSON.parse(l) as { channel: string }).channel).sort();
    assert.deepEqual(channels, ['forwarded-streamlocal@openssh.com', 'forwarded-tcpip', 'forwarded-tcpip', 'session', 'x11']);
    // No connection reached nginx other than the browser's: its access log has no request from the hostile relay's addresses.
    assert.ok(!fs.readFileSync(path.join(work, 'nginx', 'access.log'), 'utf8').includes('10.0.0.1'));
  });
});
