/**
 * The blind relay. Two listeners:
 * - the public TLS port: reads a browser's ClientHello only far enough to learn the SNI host name,
 *   then passes every byte, the ClientHello included, unchanged into the tunnel of that name and
 *   back. TLS ends in nginx on the Kontor server; the relay holds no certificate and no key to it.
 * - the tunnel port: an SSH server (RFC 4254 remote forwarding, the `ssh2` package). A Kontor
 *   installation connects out, signs in with the one ed25519 key configured for its host name and
 *   asks for `tcpip-forward` of that host name. Nothing else is granted: no shell, exec, subsystem,
 *   direct-tcpip, streamlocal or a forward of any other name.
 * Each browser connection becomes one `forwarded-tcpip` channel. The relay can only ever offer
 * that channel; the Kontor side decides, and connects it to its one local target.
 * It writes nothing to disk; its log (stdout) has time, host name, bytes and duration per
 * connection, and tunnel events by host name.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ServerChannel } from 'ssh2';
import { parsePublicKey } from './keys.js';
import { MAX_HELLO_BYTES, readSni } from './sni.js';

export interface Installation {
  hostName: string;
  /** authorized_keys line of the installation's tunnel key. */
  publicKey: string;
}

export interface RelayOptions {
  /** Where browsers connect (TLS, e.g. 0.0.0.0:443). */
  tls: { host: string; port: number };
  /** Where Kontor servers connect out to (SSH, e.g. 0.0.0.0:2222). */
  tunnel: { host: string; port: number };
  /** The relay's own ed25519 host key (OpenSSH private key text); Kontor pins its fingerprint. */
  hostKey: string;
  installations: Installation[];
  logger: Logger;
  limits?: Partial<RelayLimits>;
  /** Test hook: sees every chunk the relay passes, as the relay sees it. */
  onBytes?: (hostName: string, direction: 'to-kontor' | 'to-browser', chunk: Buffer) => void;
}

export interface RelayLimits {
  /** How long a browser may take to send its ClientHello. */
  helloTimeoutMs: number;
  /** How long a tunnel client may take to sign in and ask for its forward. */
  tunnelSetupMs: number;
  /** A browser connection with no byte in either direction for this long is closed. */
  idleMs: number;
  maxBrowserConnections: number;
  maxTunnelConnections: number;
  /** Sign-in attempts per tunnel connection. */
  maxAuthAttempts: number;
}

const DEFAULT_LIMITS: RelayLimits = {
  helloTimeoutMs: 10_000,
  tunnelSetupMs: 10_000,
  idleMs: 15 * 60_000,
  maxBrowserConnections: 4096,
  maxTunnelConnections: 64,
  maxAuthAttempts: 4,
};

/** The port browsers asked for, as the forwarded-tcpip channel names it. */
const FORWARD_PORT = 443;

interface Tunnel {
  client: Connection;
  bindPort: number;
}

export interface Relay {
  tlsPort: number;
  tunnelPort: number;
  /** How many tunnels are up for a host name (tests wait on it). */
  tunnels(hostName: string): number;
  close(): Promise<void>;
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.logger;
  const keys = new Map<string, Buffer>();
  for (const i of options.installations) keys.set(i.hostName.toLowerCase(), parsePublicKey(i.publicKey).blob);
  /** Host name → its tunnels, newest last: a reconnecting server replaces a half-dead line. */
  const tunnels = new Map<string, Tunnel[]>();
  const browsers = new Set<net.Socket>();
  const tunnelSockets = new Set<net.Socket>();

  const sshServer = new ssh2.Server({ hostKeys: [options.hostKey], ident: 'kontor-relay' }, (client) => {
    let hostName: string | undefined;
    let attempts = 0;
    let forwarded = false;
    const setup = setTimeout(() => {
      if (!forwarded) {
        log.warn({ hostName }, 'tunnel closed: not set up in time');
        client.end();
      }
    }, limits.tunnelSetupMs);

    client.on('authentication', (ctx: AuthContext) => {
      attempts += 1;
      if (attempts > limits.maxAuthAttempts) {
        ctx.reject([]);
        client.end();
        return;
      }
      const name = ctx.username.toLowerCase();
      const expected = keys.get(name);
      if (ctx.method !== 'publickey' || !expected || ctx.key.algo !== 'ssh-ed25519' || !ctx.key.data.equals(expected)) {
        if (ctx.method === 'publickey') log.warn({ hostName: expected ? name : undefined }, 'tunnel key refused');
        ctx.reject(['publickey']);
        return;
      }
      // Without a signature the client only asks whether the key would do (RFC 4252 7).
      if (!ctx.signature) {
        ctx.accept();
        return;
      }
      const key = ssh2.utils.parseKey(ctx.key.algo + ' ' + ctx.key.data.toString('base64'));
      if (key instanceof Error || Array.isArray(key) || !ctx.blob || !key.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) {
        log.warn({ hostName: name }, 'tunnel signature refused');
        ctx.reject(['publickey']);
        return;
      }
      hostName = name;
      ctx.accept();
    });

    client.on('ready', () => {
      log.info({ hostName }, 'tunnel signed in');
    });

    // Global requests: only the forward of this installation's own host name.
    client.on('request', (accept, reject, name, info) => {
      const wanted = name === 'tcpip-forward' && hostName !== undefined && info.bindAddr.toLowerCase() === hostName;
      if (!wanted || !accept || forwarded) {
        log.warn({ hostName, request: name === 'tcpip-forward' || name === 'cancel-tcpip-forward' ? name : 'other' }, 'tunnel request refused');
        reject?.();
        return;
      }
      forwarded = true;
      clearTimeout(setup);
      const bindPort = info.bindPort === 0 ? FORWARD_PORT : info.bindPort;
      const list = tunnels.get(hostName!) ?? [];
      list.push({ client, bindPort });
      tunnels.set(hostName!, list);
      accept(bindPort);
      log.info({ hostName, tunnels: list.length }, 'tunnel up');
    });
    client.on('session', (_accept, reject) => refuse(reject, 'session'));
    client.on('tcpip', (_accept, reject) => refuse(reject, 'direct-tcpip'));
    client.on('openssh.streamlocal', (_accept, reject) => refuse(reject, 'direct-streamlocal'));
    function refuse(reject: () => void, channel: string): void {
      log.warn({ hostName, channel }, 'tunnel channel refused');
      reject();
    }

    client.on('error', () => undefined);
    client.on('close', () => {
      clearTimeout(setup);
      if (hostName === undefined) return;
      const list = (tunnels.get(hostName) ?? []).filter((t) => t.client !== client);
      if (list.length) tunnels.set(hostName, list);
      else tunnels.delete(hostName);
      if (forwarded) log.info({ hostName, tunnels: list.length }, 'tunnel down');
    });
  });

  // The relay owns the tunnel port's sockets (bounded, and closed for certain on shutdown) and
  // hands each to ssh2.
  const tunnelServer = net.createServer((socket) => {
    if (tunnelSockets.size >= limits.maxTunnelConnections) {
      socket.destroy();
      return;
    }
    tunnelSockets.add(socket);
    socket.on('close', () => tunnelSockets.delete(socket));
    socket.setKeepAlive(true, 30_000);
    sshServer.injectSocket(socket);
  });

  const tlsServer = net.createServer({ pauseOnConnect: false }, (browser) => {
    if (browsers.size >= limits.maxBrowserConnections) {
      browser.destroy();
      return;
    }
    browsers.add(browser);
    browser.on('close', () => browsers.delete(browser));
    browser.on('error', () => undefined);
    routeBrowser(browser);
  });

  function routeBrowser(browser: net.Socket): void {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let buffered = 0;
    const timer = setTimeout(() => {
      log.info({ outcome: 'no-hello', durationMs: Date.now() - started }, 'connection closed');
      browser.destroy();
    }, limits.helloTimeoutMs);
    browser.once('close', () => clearTimeout(timer));

    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      buffered += chunk.length;
      const hello = Buffer.concat(chunks);
      const sni = readSni(hello);
      if (sni.kind === 'more' && buffered <= MAX_HELLO_BYTES + 64 * 5) return;
      clearTimeout(timer);
      browser.off('data', onData);
      browser.pause();
      const name = sni.kind === 'name' ? sni.name : undefined;
      const tunnel = name === undefined ? undefined : tunnels.get(name)?.at(-1);
      if (!tunnel || name === undefined) {
        log.info({ hostName: name && keys.has(name) ? name : undefined, outcome: sni.kind === 'name' ? 'no-tunnel' : 'no-name', durationMs: Date.now() - started }, 'connection closed');
        browser.destroy();
        return;
      }
      open(browser, name, tunnel, hello, started);
    };
    browser.on('data', onData);
  }

  function open(browser: net.Socket, hostName: string, tunnel: Tunnel, hello: Buffer, started: number): void {
    const origin = originOf(browser);
    tunnel.client.forwardOut(hostName, tunnel.bindPort, origin.address, origin.port, (err: Error | undefined, channel: ServerChannel) => {
      if (err || browser.destroyed) {
        log.info({ hostName, outcome: 'refused-by-kontor', durationMs: Date.now() - started }, 'connection closed');
        browser.destroy();
        channel?.close();
        return;
      }
      let toKontor = 0;
      let toBrowser = 0;
      let closed = false;
      const finish = (): void => {
        if (closed) return;
        closed = true;
        log.info({ hostName, bytesIn: toKontor, bytesOut: toBrowser, durationMs: Date.now() - started }, 'connection closed');
        browser.destroy();
        channel.destroy();
      };
      browser.setTimeout(limits.idleMs, finish);
      const passToKontor = (chunk: Buffer): void => {
        toKontor += chunk.length;
        options.onBytes?.(hostName, 'to-kontor', chunk);
        if (!channel.write(chunk)) browser.pause();
      };
      channel.on('drain', () => browser.resume());
      passToKontor(hello);
      browser.on('data', passToKontor);
      browser.on('end', () => channel.end());
      channel.on('data', (chunk: Buffer) => {
        toBrowser += chunk.length;
        options.onBytes?.(hostName, 'to-browser', chunk);
        if (!browser.write(chunk)) channel.pause();
      });
      browser.on('drain', () => channel.resume());
      channel.on('end', () => browser.end());
      channel.on('close', finish);
      channel.on('error', finish);
      browser.on('close', finish);
      browser.resume();
    });
  }

  await Promise.all([
    new Promise<void>((resolve, reject) => tunnelServer.listen(options.tunnel.port, options.tunnel.host, resolve).once('error', reject)),
    new Promise<void>((resolve, reject) => tlsServer.listen(options.tls.port, options.tls.host, resolve).once('error', reject)),
  ]);
  log.info({ installations: keys.size }, 'relay listening');

  return {
    tlsPort: (tlsServer.address() as net.AddressInfo).port,
    tunnelPort: (tunnelServer.address() as net.AddressInfo).port,
    tunnels: (hostName) => tunnels.get(hostName.toLowerCase())?.length ?? 0,
    async close() {
      const closing = [
        new Promise<void>((resolve) => tlsServer.close(() => resolve())),
        new Promise<void>((resolve) => tunnelServer.close(() => resolve())),
      ];
      for (const b of browsers) b.destroy();
      for (const s of tunnelSockets) s.destroy();
      await Promise.all(closing);
    },
  };
}

/** The browser's address as the channel's originator (IPv4-mapped IPv6 written as IPv4). */
function originOf(socket: net.Socket): { address: string; port: number } {
  const raw = socket.remoteAddress ?? '0.0.0.0';
  return { address: raw.startsWith('::ffff:') && net.isIPv4(raw.slice(7)) ? raw.slice(7) : raw, port: socket.remotePort ?? 0 };
}
