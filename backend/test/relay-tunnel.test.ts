/**
 * The blind relay and Kontor's tunnel over real sockets: a real TLS server on a Unix socket stands
 * in for nginx, node's TLS client for the browser (the e2e suite does the same with nginx and
 * Chromium). The relay runs in-process with its byte-capturing test hook.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { capturingLogger } from './helpers/logger.js';
import { generateKeyPair, parsePublicKey } from '../src/relay/keys.js';
import { startRelay, type Relay } from '../src/relay/relay.js';
import { startTunnel, type Tunnel } from '../src/tunnel/tunnel.js';

const HOST = 'kontor.test';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-relay-'));
const socketPath = path.join(work, 'nginx.sock');
const hostKey = generateKeyPair('relay');
const hostKeyFingerprint = parsePublicKey(hostKey.publicKey).fingerprint;
const installationKey = generateKeyPair('kontor.test');
const strangerKey = generateKeyPair('stranger');

const cert = path.join(work, 'tls.crt');
const key = path.join(work, 'tls.key');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST},DNS:other.test`, '-keyout', key, '-out', cert], { stdio: 'ignore' });

/** nginx's stand-in: TLS ends here, on the "data server", and it answers with what it was sent. */
let targetConnections = 0;
const target = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
  const body: Buffer[] = [];
  req.on('data', (c: Buffer) => body.push(c));
  req.on('end', () => res.end(`echo:${Buffer.concat(body).toString('utf8')}`));
});
target.on('connection', () => (targetConnections += 1));

function request(relay: Relay, opts: { servername?: string; body?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: relay.tlsPort, method: 'POST', path: '/api/echo', servername: opts.servername ?? HOST,
      ca: fs.readFileSync(cert), checkServerIdentity: () => undefined, agent: false, headers: { host: opts.servername ?? HOST },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end(opts.body ?? '');
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const messages = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

interface Captured { host: string; direction: string; chunk: Buffer }

async function relayWith(captured: Captured[] = [], ports = { tls: 0, tunnel: 0 }) {
  const { logger, lines } = capturingLogger();
  const relay = await startRelay({
    tls: { host: '127.0.0.1', port: ports.tls }, tunnel: { host: '127.0.0.1', port: ports.tunnel }, hostKey: hostKey.privateKey,
    installations: [{ hostName: HOST, publicKey: installationKey.publicKey }, { hostName: 'other.test', publicKey: generateKeyPair('other').publicKey }],
    logger, onBytes: (host, direction, chunk) => void captured.push({ host, direction, chunk: Buffer.from(chunk) }),
  });
  return { relay, lines };
}

function tunnelTo(relay: Relay, overrides: { privateKey?: string; relayHostKey?: string; hostName?: string; socket?: string; proxyProtocol?: boolean } = {}) {
  const { logger, lines } = capturingLogger();
  const tunnel = startTunnel({
    relay: { host: '127.0.0.1', port: relay.tunnelPort }, hostName: overrides.hostName ?? HOST, privateKey: overrides.privateKey ?? installationKey.privateKey,
    relayHostKey: overrides.relayHostKey ?? hostKeyFingerprint, target: { path: overrides.socket ?? socketPath }, proxyProtocol: overrides.proxyProtocol ?? false,
    logger, backoff: { minMs: 50, maxMs: 400 },
  });
  return { tunnel, lines };
}

before(async () => {
  await new Promise<void>((r) => target.listen(socketPath, r));
});
after(async () => {
  await new Promise((r) => target.close(r));
  fs.rmSync(work, { recursive: true, force: true });
});

describe('blind relay and tunnel', () => {
  let relay: Relay;
  let relayLines: string[];
  let tunnel: Tunnel;
  let tunnelLines: string[];
  const captured: Captured[] = [];

  before(async () => {
    ({ relay, lines: relayLines } = await relayWith(captured));
    ({ tunnel, lines: tunnelLines } = tunnelTo(relay));
    await tunnel.up();
  });
  after(async () => {
    await tunnel.close();
    await relay.close();
  });

  it('passes a TLS request through to the data server and back, and sees only ciphertext of it', async () => {
    captured.length = 0;
    const marker = 'KONTOR-MARKER-customer-4711-';
    assert.equal(await request(relay, { body: `${marker}payload` }), `echo:${marker}payload`);
    const toKontor = Buffer.concat(captured.filter((c) => c.direction === 'to-kontor').map((c) => c.chunk));
    const toBrowser = Buffer.concat(captured.filter((c) => c.direction === 'to-browser').map((c) => c.chunk));
    assert.ok(toKontor.length > 200 && toBrowser.length > 200, 'the relay passed the bytes of both directions');
    assert.equal(toKontor[0], 0x16, 'the first bytes are the ClientHello, unchanged');
    for (const stream of [toKontor, toBrowser]) {
      assert.equal(stream.indexOf(marker), -1, 'the marker never appears in what the relay passed');
      assert.equal(stream.indexOf('echo:'), -1);
      assert.equal(stream.indexOf('/api/echo'), -1, 'nor does the request path');
    }
    assert.ok(captured.every((c) => c.host === HOST));
  });

  it('routes 30 parallel requests each to its own answer, and logs only time, host name, bytes and duration', async () => {
    const bodies = Array.from({ length: 30 }, (_, i) => `request-${i}-${'x'.repeat(i * 97)}`);
    for (let round = 0; round < 2; round++) {
      relayLines.length = 0;
      const answers = await Promise.all(bodies.map((b) => request(relay, { body: b })));
      assert.deepEqual(answers, bodies.map((b) => `echo:${b}`));
      await until('the relay logged each connection', () => messages(relayLines).filter((m) => m.msg === 'connection closed').length >= 30);
    }
    for (const m of messages(relayLines)) {
      assert.deepEqual(Object.keys(m).sort(), ['app', 'bytesIn', 'bytesOut', 'durationMs', 'hostName', 'level', 'msg', 'time']);
      assert.equal(m.hostName, HOST);
    }
    assert.ok(!relayLines.join('').includes('127.0.0.1'), 'no address in the relay log');
  });

  it('closes a connection for an unknown name, for a name without a tunnel and without a name, before passing a byte', async () => {
    captured.length = 0;
    const before = targetConnections;
    await assert.rejects(request(relay, { servername: 'unknown.test' }));
    await assert.rejects(request(relay, { servername: 'other.test' }), 'configured, but no tunnel is up for it');
    const plain = net.connect(relay.tlsPort, '127.0.0.1');
    plain.end('GET / HTTP/1.1\r\nHost: kontor.test\r\n\r\n');
    const reply = await new Promise<string>((resolve) => {
      let got = '';
      plain.on('data', (c: Buffer) => (got += c.toString()));
      plain.on('close', () => resolve(got));
      plain.on('error', () => undefined);
    });
    assert.equal(reply, '', 'plain HTTP gets nothing back');
    assert.equal(captured.length, 0, 'nothing was passed');
    assert.equal(targetConnections, before, 'the data server saw no connection');
    assert.ok(!relayLines.join('').includes('unknown.test'), 'names the relay does not know are not logged');
  });

  it('refuses a tunnel signed in with an unknown key, or with a key of another installation, or asking for another name', async () => {
    const stranger = tunnelTo(relay, { privateKey: strangerKey.privateKey });
    await until('the relay refused the stranger', () => relayLines.some((l) => l.includes('tunnel key refused')));
    await until('the stranger noticed', () => stranger.lines.some((l) => l.includes('tunnel connection failed')));
    const otherName = tunnelTo(relay, { hostName: 'other.test' });
    await until('the relay refused the other name', () => relayLines.filter((l) => l.includes('tunnel key refused')).length >= 2);
    await stranger.tunnel.close();
    await otherName.tunnel.close();
    assert.equal(relay.tunnels('other.test'), 0);
    assert.equal(relay.tunnels(HOST), 1, 'only the real installation has a tunnel');

    // The right key, but a forward of another host name: refused by the relay.
    const client = new ssh2.Client();
    const refused = await new Promise<boolean>((resolve, reject) => {
      client.on('ready', () => client.forwardIn('other.test', 443, (err) => resolve(Boolean(err))));
      client.on('error', reject);
      client.connect({ host: '127.0.0.1', port: relay.tunnelPort, username: HOST, privateKey: installationKey.privateKey, hostVerifier: () => true });
    });
    assert.equal(refused, true);
    // Nor a shell, exec or a direct-tcpip connection through the relay.
    const shell = await new Promise<Error | undefined>((resolve) => client.exec('id', (err) => resolve(err)));
    assert.ok(shell instanceof Error, 'no exec');
    const direct = await new Promise<Error | undefined>((resolve) => client.forwardOut('127.0.0.1', 1, '127.0.0.1', 22, (err) => resolve(err)));
    assert.ok(direct instanceof Error, 'no direct-tcpip');
    client.end();
    assert.ok(relayLines.some((l) => l.includes('tunnel request refused')));
    assert.ok(relayLines.some((l) => l.includes('tunnel channel refused') && l.includes('"session"')));
    assert.ok(relayLines.some((l) => l.includes('tunnel channel refused') && l.includes('"direct-tcpip"')));
  });

  it('does not sign in to a relay whose host key is not the pinned one', async () => {
    const wrong = tunnelTo(relay, { relayHostKey: parsePublicKey(generateKeyPair('impostor').publicKey).fingerprint });
    await until('the tunnel refused the host key', () => wrong.lines.some((l) => l.includes('relay host key does not match')));
    await wrong.tunnel.close();
    assert.ok(!relayLines.slice(-20).some((l) => l.includes('tunnel signed in') && l.includes('impostor')));
  });

  it('survives a relay restart: the tunnel comes back on its own and the next request works', async () => {
    const ports = { tls: relay.tlsPort, tunnel: relay.tunnelPort };
    await relay.close();
    await until('the tunnel noticed', () => tunnelLines.some((l) => l.includes('tunnel down')));
    await assert.rejects(request(relay), 'nothing listens while the relay is down');
    ({ relay, lines: relayLines } = await relayWith(captured, ports));
    await tunnel.up();
    assert.equal(await request(relay, { body: 'after restart' }), 'echo:after restart');
    assert.ok(tunnelLines.filter((l) => l.includes('"tunnel up"')).length >= 2);
  });
});

describe('a relay that turns against the data server', () => {
  it('gets every channel and request refused by the tunnel, which logs each; nothing reaches the local target', async () => {
    const before = targetConnections;
    const attempts: Record<string, Error | undefined> = {};
    let done: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const evil = new ssh2.Server({ hostKeys: [hostKey.privateKey] }, (client) => {
      client.on('authentication', (ctx) => ctx.accept());
      client.on('request', (accept, _reject, _name, info) => {
        accept?.(info.bindPort);
        void (async () => {
          const open = (name: string, fn: (cb: (err: Error | undefined) => void) => void) =>
            new Promise<void>((resolve) => fn((err) => {
              attempts[name] = err;
              resolve();
            }));
          await open('forwarded-tcpip to another name', (cb) => client.forwardOut('intranet.bank.test', 443, '10.0.0.1', 1, cb));
          await open('forwarded-tcpip to another port', (cb) => client.forwardOut(HOST, 22, '10.0.0.1', 1, cb));
          await open('x11', (cb) => client.x11('10.0.0.1', 1, cb));
          await open('streamlocal', (cb) => client.openssh_forwardOutStreamLocal('/run/postgresql/.s.PGSQL.5432', cb));
          // What ssh2's server API does not offer, straight on the wire: a session and direct-tcpip.
          const internals = client as unknown as { _chanMgr: { add(cb: unknown): number }; _protocol: Record<string, (...a: unknown[]) => void> & { _server: boolean } };
          const raw = (name: string, send: (chan: number) => void, clientOnly = true) => new Promise<void>((resolve) => {
            const chan = internals._chanMgr.add(Object.assign((err: Error | undefined) => {
              attempts[name] = err;
              resolve();
            }, { type: name }));
            internals._protocol._server = !clientOnly;
            try {
              send(chan);
            } finally {
              internals._protocol._server = true;
            }
          });
          await raw('session', (chan) => internals._protocol.session!(chan, 2 ** 21, 32768));
          await raw('direct-tcpip', (chan) => internals._protocol.directTcpip!(chan, 2 ** 21, 32768, { srcIP: '10.0.0.1', srcPort: 1, dstIP: '127.0.0.1', dstPort: 5432 }));
          await raw('auth-agent', (chan) => internals._protocol.openssh_authAgent!(chan, 2 ** 21, 32768), false);
          internals._protocol._server = false;
          internals._protocol.tcpipForward!('0.0.0.0', 8080, true);
          internals._protocol._server = true;
          setTimeout(done, 300);
        })();
      });
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    const port = (evil.address() as net.AddressInfo).port;
    const { tunnel, lines } = tunnelTo({ tunnelPort: port } as Relay);
    await tunnel.up();
    await finished;
    await tunnel.close();
    await new Promise((r) => evil.close(r));

    assert.deepEqual(Object.keys(attempts).sort(), ['auth-agent', 'direct-tcpip', 'forwarded-tcpip to another name', 'forwarded-tcpip to another port', 'session', 'streamlocal', 'x11']);
    for (const [name, err] of Object.entries(attempts)) assert.ok(err instanceof Error, `${name} was refused`);
    const refusals = messages(lines).filter((m) => m.msg === 'relay channel refused').map((m) => m.channel);
    assert.deepEqual(refusals.sort(), ['auth-agent@openssh.com', 'direct-tcpip', 'forwarded-streamlocal@openssh.com', 'forwarded-tcpip', 'forwarded-tcpip', 'session', 'x11']);
    await until('the global request was logged', () => lines.some((l) => l.includes('relay request refused')));
    assert.equal(targetConnections, before, 'the local target never saw a connection');
  });
});

describe('tunnel details', () => {
  it("tells nginx the browser's address in a PROXY protocol line before the TLS bytes", async () => {
    const proxySocket = path.join(work, 'proxy.sock');
    const firstBytes: Buffer[] = [];
    const raw = net.createServer((s) => s.on('data', (c: Buffer) => firstBytes.push(c)));
    await new Promise<void>((r) => raw.listen(proxySocket, r));
    const { relay } = await relayWith();
    const { tunnel } = tunnelTo(relay, { socket: proxySocket, proxyProtocol: true });
    await tunnel.up();
    const client = net.connect(relay.tlsPort, '127.0.0.1');
    client.on('error', () => undefined);
    const hello = (await import('node:tls')).connect({ socket: client, servername: HOST, rejectUnauthorized: false });
    hello.on('error', () => undefined);
    await until('the target got bytes', () => Buffer.concat(firstBytes).includes('\r\n'));
    const text = Buffer.concat(firstBytes);
    const line = text.subarray(0, text.indexOf('\r\n') + 2).toString('latin1');
    assert.equal(line, `PROXY TCP4 127.0.0.1 127.0.0.1 ${client.localPort} 443\r\n`);
    assert.equal(text[line.length], 0x16, 'then the ClientHello');
    hello.destroy();
    await tunnel.close();
    await relay.close();
    await new Promise((r) => raw.close(r));
  });
});

describe('the relay as a program', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const relayDir = path.join(here, '../src/relay');

  it('imports nothing of Kontor outside its folder: only node, ssh2, pino and zod', () => {
    for (const file of fs.readdirSync(relayDir).filter((f) => f.endsWith('.ts'))) {
      const source = fs.readFileSync(path.join(relayDir, file), 'utf8');
      for (const [, spec] of source.matchAll(/^import [^'"]*['"]([^'"]+)['"]/gm)) {
        assert.ok(/^(node:|ssh2$|pino$|zod$|\.\/[a-z-]+\.js$)/.test(spec!), `${file} imports ${spec}`);
      }
    }
  });

  it('makes a host key, refuses a bad config with the field named, and starts from a good one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-relay-cli-'));
    const run = (args: string[]) => spawn(process.execPath, ['--import', 'tsx', path.join(relayDir, 'main.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = (child: ReturnType<typeof run>) => new Promise<{ code: number; out: string }>((resolve) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) => resolve({ code: code ?? 1, out }));
    });
    try {
      const made = await output(run(['host-key', '--out', path.join(dir, 'host_key')]));
      assert.equal(made.code, 0, made.out);
      assert.match(made.out, /SHA256:[A-Za-z0-9+/]{43}/);
      assert.equal(fs.statSync(path.join(dir, 'host_key')).mode & 0o777, 0o600);
      assert.equal((await output(run(['host-key', '--out', path.join(dir, 'host_key')]))).code, 1, 'never overwrites a key');

      const config = path.join(dir, 'relay.json');
      fs.writeFileSync(config, JSON.stringify({ hostKeyFile: path.join(dir, 'host_key'), installations: [{ hostName: 'kontor.test.', publicKey: 'ssh-rsa AAAA' }] }));
      const bad = await output(run(['serve', '--config', config]));
      assert.equal(bad.code, 1);
      assert.match(bad.out, /installations\.0\.hostName: a DNS host name; installations\.0\.publicKey: an ssh-ed25519 public key line/);

      fs.writeFileSync(config, JSON.stringify({ listenTls: '127.0.0.1:0', listenTunnel: '127.0.0.1:0', hostKeyFile: path.join(dir, 'host_key'), installations: [{ hostName: HOST, publicKey: installationKey.publicKey }] }));
      const good = run(['serve', '--config', config]);
      const started = output(good);
      let out = '';
      good.stdout.on('data', (c: Buffer) => (out += c.toString()));
      await until('the relay started', () => out.includes('relay started'), 60_000);
      assert.ok(out.includes(made.out.match(/SHA256:[A-Za-z0-9+/]{43}/)![0]), 'it logs the fingerprint Kontor pins');
      good.kill('SIGTERM');
      assert.equal((await started).code, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
