/**
 * Kontor's side of the blind relay: connects OUT to the relay (SSH, the `ssh2` client), pins the
 * relay's host key, asks for `tcpip-forward` of this installation's host name and connects each
 * `forwarded-tcpip` channel for exactly that name to its one local target, nginx's TLS listener
 * (a Unix socket or a loopback port). Every other thing the relay might try (a session, exec,
 * direct-tcpip, x11, agent, streamlocal, a forward of another name, a global or channel request) is
 * refused and logged. The line is watched with keepalives and rebuilt with backoff.
 */
import net from 'node:net';
import ssh2 from 'ssh2';
import type { ClientChannel, TcpConnectionDetails } from 'ssh2';
import type { Logger } from '../log/logger.js';
import { fingerprint } from '../relay/keys.js';

export type TunnelTarget = { path: string } | { host: string; port: number };

export interface TunnelOptions {
  relay: { host: string; port: number };
  /** The installation's public host name: its SSH user name and the one name it forwards. */
  hostName: string;
  /** The installation's ed25519 private key (OpenSSH text). */
  privateKey: string;
  /** The relay's host key fingerprint, `SHA256:…`: any other key is refused before sign-in. */
  relayHostKey: string;
  target: TunnelTarget;
  /** Prefix each connection with a PROXY protocol v1 line carrying the browser's address. */
  proxyProtocol: boolean;
  logger: Logger;
  backoff?: { minMs: number; maxMs: number };
  maxConnections?: number;
}

export interface Tunnel {
  /** Resolves when the forward is granted (again, after a reconnect: `up()` is re-armed). */
  up(): Promise<void>;
  readonly connections: number;
  close(): Promise<void>;
}

/** Port named in the forward; the relay's public port is its own business. */
const FORWARD_PORT = 443;
const KNOWN_CHANNELS = new Set(['session', 'direct-tcpip', 'forwarded-tcpip', 'x11', 'auth-agent@openssh.com', 'forwarded-streamlocal@openssh.com', 'direct-streamlocal@openssh.com']);

interface ProtocolInternals {
  _handlers: Record<string, (...args: unknown[]) => unknown>;
}

export function startTunnel(options: TunnelOptions): Tunnel {
  const log = options.logger;
  const backoff = options.backoff ?? { minMs: 500, maxMs: 30_000 };
  const maxConnections = options.maxConnections ?? 2048;
  const hostName = options.hostName.toLowerCase();
  let delay = backoff.minMs;
  let closed = false;
  let current: ssh2.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let connections = 0;
  const locals = new Set<net.Socket>();
  let signalUp: () => void = () => undefined;
  let upPromise = new Promise<void>((resolve) => (signalUp = resolve));
  const rearm = (): void => {
    upPromise = new Promise<void>((resolve) => (signalUp = resolve));
  };

  function connect(): void {
    retry = undefined;
    const conn = new ssh2.Client();
    current = conn;
    let forwarded = false;

    conn.on('ready', () => {
      conn.forwardIn(hostName, FORWARD_PORT, (err) => {
        if (err) {
          log.warn('tunnel forward refused by the relay');
          conn.end();
          return;
        }
        forwarded = true;
        delay = backoff.minMs;
        log.info({ relay: `${options.relay.host}:${options.relay.port}` }, 'tunnel up');
        signalUp();
      });
    });

    conn.on('tcp connection', (info: TcpConnectionDetails, accept: () => ClientChannel, reject: () => void) => {
      if (info.destIP.toLowerCase() !== hostName || info.destPort !== FORWARD_PORT || connections >= maxConnections) {
        log.warn({ channel: 'forwarded-tcpip', reason: connections >= maxConnections ? 'too many connections' : 'not our forward' }, 'relay channel refused');
        reject();
        return;
      }
      forward(info, accept, reject);
    });

    conn.on('error', (err: Error & { level?: string }) => {
      log.warn({ err: { code: (err as { code?: string }).code, level: err.level } }, 'tunnel connection failed');
    });
    conn.on('close', () => {
      if (current === conn) current = undefined;
      if (forwarded) {
        log.warn('tunnel down');
        rearm();
      }
      if (closed) return;
      const wait = Math.round(delay * (0.75 + Math.random() * 0.5));
      delay = Math.min(delay * 2, backoff.maxMs);
      retry = setTimeout(connect, wait);
    });

    conn.connect({
      host: options.relay.host,
      port: options.relay.port,
      username: hostName,
      privateKey: options.privateKey,
      hostVerifier: (key: Buffer) => {
        const ok = fingerprint(key) === options.relayHostKey;
        if (!ok) log.error('relay host key does not match KONTOR_RELAY_HOST_KEY: not connecting');
        return ok;
      },
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      readyTimeout: 15_000,
      // Nothing but the forward is ever asked for; no agent, no X11.
      agentForward: false,
    });
    watchProtocol(conn);
  }

  /**
   * ssh2 refuses channels and requests it has no handler for without telling anyone: wrap its
   * protocol handlers (ssh2 1.17; test/relay-tunnel.test.ts fails if these internals move) so each
   * refusal is logged on this side before ssh2 refuses it.
   */
  function watchProtocol(conn: ssh2.Client): void {
    const proto = (conn as unknown as { _protocol?: ProtocolInternals })._protocol;
    const handlers = proto?._handlers;
    if (!handlers?.CHANNEL_OPEN || !handlers.GLOBAL_REQUEST || !handlers.CHANNEL_REQUEST) {
      throw new Error('ssh2 internals changed: the tunnel cannot watch what the relay asks for');
    }
    const open = handlers.CHANNEL_OPEN;
    handlers.CHANNEL_OPEN = (p: unknown, info: unknown) => {
      const i = info as { type: string; data?: { destIP?: string; destPort?: number } };
      const ours = i.type === 'forwarded-tcpip' && i.data?.destIP?.toLowerCase() === hostName && i.data.destPort === FORWARD_PORT;
      if (!ours) log.warn({ channel: KNOWN_CHANNELS.has(i.type) ? i.type : 'other', reason: i.type === 'forwarded-tcpip' ? 'not our forward' : 'channel type not allowed' }, 'relay channel refused');
      return open(p, info);
    };
    const global = handlers.GLOBAL_REQUEST;
    handlers.GLOBAL_REQUEST = (...args: unknown[]) => {
      log.warn({ request: 'global' }, 'relay request refused');
      return global(...args);
    };
    const channelRequest = handlers.CHANNEL_REQUEST;
    handlers.CHANNEL_REQUEST = (...args: unknown[]) => {
      log.warn({ request: 'channel' }, 'relay request refused');
      return channelRequest(...args);
    };
  }

  function forward(info: TcpConnectionDetails, accept: () => ClientChannel, reject: () => void): void {
    const local = 'path' in options.target ? net.connect(options.target.path) : net.connect(options.target.port, options.target.host);
    let channel: ClientChannel | undefined;
    local.once('error', () => {
      if (!channel) {
        log.warn('local target unreachable: connection refused to the relay');
        reject();
      }
      local.destroy();
      channel?.destroy();
    });
    local.once('connect', () => {
      channel = accept();
      connections += 1;
      locals.add(local);
      if (options.proxyProtocol) local.write(proxyLine(info.srcIP, info.srcPort));
      channel.pipe(local).pipe(channel);
      const done = (): void => {
        if (!locals.delete(local)) return;
        connections -= 1;
        local.destroy();
        channel?.destroy();
      };
      channel.on('close', done);
      channel.on('error', done);
      local.on('close', done);
    });
  }

  connect();
  return {
    up: () => upPromise,
    get connections() {
      return connections;
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      for (const l of locals) l.destroy();
      const conn = current;
      if (!conn) return;
      await new Promise<void>((resolve) => {
        conn.once('close', () => resolve());
        conn.end();
        setTimeout(resolve, 2000).unref();
      });
    },
  };
}

/** PROXY protocol v1 (haproxy's spec): nginx's `listen … proxy_protocol` reads the browser's address. */
export function proxyLine(srcIP: string, srcPort: number): string {
  const port = Number.isInteger(srcPort) && srcPort >= 0 && srcPort <= 65535 ? srcPort : 0;
  if (net.isIPv4(srcIP)) return `PROXY TCP4 ${srcIP} 127.0.0.1 ${port} ${FORWARD_PORT}\r\n`;
  if (net.isIPv6(srcIP)) return `PROXY TCP6 ${srcIP} ::1 ${port} ${FORWARD_PORT}\r\n`;
  return 'PROXY UNKNOWN\r\n';
}
