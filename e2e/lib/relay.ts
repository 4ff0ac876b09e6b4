import fs from 'node:fs';
import path from 'node:path';
import { type ServerBlockOptions, writeNginxConfig } from './nginx.js';

/**
 * The production server blocks rendered as behind the blind relay (nginx/relay.conf): both
 * listeners on Unix sockets in `socketDir`, TLS with PROXY protocol from the tunnel; no TCP port.
 */
export function renderTunnelledConfig(options: ServerBlockOptions & {
  socketDir: string;
  serverName: string;
}): { conf: string; socket: string } {
  const socket = path.resolve(options.socketDir, 'nginx.sock');
  const conf = writeNginxConfig({
    ...options,
    httpListen: `unix:${path.join(options.socketDir, 'http.sock')}`,
    httpsListen: `unix:${socket} proxy_protocol`,
    before: `include ${path.resolve(options.repoRoot, 'nginx', 'relay.conf')};\n`,
  });
  return { conf, socket };
}

export interface Listener {
  pid: number;
  address: string;
  port: number;
}

/** Socket inodes a process holds open (its fds pointing at `socket:[N]`). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  const dir = `/proc/${pid}/fd`;
  for (const fd of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(path.join(dir, fd)));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** /proc/net/tcp{,6} addresses are little-endian hex per 32-bit word. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  if (words.length === 1) return words[0].match(/../g)!.map((b) => parseInt(b, 16)).join('.');
  const v6 = words.join('').match(/.{4}/g)!.map((g) => parseInt(g, 16).toString(16)).join(':');
  return v6.replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Every listening TCP socket (IPv4 and IPv6) held by one of `pids`, as the kernel reports it. */
export function tcpListeners(pids: number[]): Listener[] {
  const owner = new Map<string, number>();
  for (const pid of pids) for (const inode of socketInodes(pid)) owner.set(inode, pid);
  const found: Listener[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [addr, port] = cols[1].split(':');
      if (cols[3] !== '0A') continue; // LISTEN
      const pid = owner.get(cols[9]);
      if (pid !== undefined) found.push({ pid, address: decodeAddress(addr), port: parseInt(port, 16) });
    }
  }
  return found;
}

/** The process holding the listening socket of a loopback TCP port. */
export function listenerPid(port: number): number | undefined {
  const all = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  return tcpListeners(all).find((l) => l.port === port)?.pid;
}

/** A process and all its descendants (nginx workers, PostgreSQL's backends). */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parents.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  return tree;
}

export const isLoopback = (address: string): boolean => /^127\./.test(address) || address === '::1';
