/**
 * `npm run tunnel -- <command>`: the Kontor server's way out to a blind relay (docs/relay.md).
 *   run                  connect to the relay and forward browsers to nginx (default command)
 *   keygen --out FILE    make this installation's ed25519 tunnel key; prints the line for the relay
 * `run` reads the environment:
 *   KONTOR_RELAY                host:port of the relay's tunnel port
 *   KONTOR_RELAY_HOST_KEY       the relay's host key fingerprint (SHA256:…, printed by `relay host-key`)
 *   KONTOR_SERVER_NAME          this installation's public host name
 *   KONTOR_TUNNEL_KEY_FILE      the private key made by `keygen`
 *   KONTOR_TUNNEL_TARGET        nginx's TLS listener: unix:/path/to.sock or 127.0.0.1:PORT
 *   KONTOR_TUNNEL_PROXY_PROTOCOL  on (default: nginx reads the browser's address) or off
 */
import { z } from 'zod';
import { systemClock } from '../clock.js';
import { createLogger } from '../log/logger.js';
import { readPrivateKey, writeKeyPair } from '../relay/keys.js';
import { isHostName } from '../relay/sni.js';
import { startTunnel, type TunnelTarget } from './tunnel.js';

const envSchema = z.object({
  KONTOR_RELAY: z.string().regex(/^[0-9a-z.-]+:\d{1,5}$/i, 'host:port'),
  KONTOR_RELAY_HOST_KEY: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'SHA256:… as printed by `relay host-key`'),
  KONTOR_SERVER_NAME: z.string().max(253).refine(isHostName, 'a DNS host name'),
  KONTOR_TUNNEL_KEY_FILE: z.string().min(1).max(4096),
  KONTOR_TUNNEL_TARGET: z.string().regex(/^(unix:\/.{1,200}|(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d{1,5})$/, 'unix:/path or a loopback host:port'),
  KONTOR_TUNNEL_PROXY_PROTOCOL: z.enum(['on', 'off']).default('on'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
});

function target(raw: string): TunnelTarget {
  if (raw.startsWith('unix:')) return { path: raw.slice(5) };
  const at = raw.lastIndexOf(':');
  return { host: raw.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(raw.slice(at + 1)) };
}

function run(): void {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const env = parsed.data;
  const logger = createLogger({ level: env.LOG_LEVEL, clock: systemClock });
  const [relayHost, relayPort] = [env.KONTOR_RELAY.slice(0, env.KONTOR_RELAY.lastIndexOf(':')), Number(env.KONTOR_RELAY.slice(env.KONTOR_RELAY.lastIndexOf(':') + 1))];
  const key = readPrivateKey(env.KONTOR_TUNNEL_KEY_FILE);
  const tunnel = startTunnel({
    relay: { host: relayHost, port: relayPort },
    hostName: env.KONTOR_SERVER_NAME,
    privateKey: key.text,
    relayHostKey: env.KONTOR_RELAY_HOST_KEY,
    target: target(env.KONTOR_TUNNEL_TARGET),
    proxyProtocol: env.KONTOR_TUNNEL_PROXY_PROTOCOL === 'on',
    logger,
  });
  logger.info({ key: key.fingerprint }, 'tunnel started');
  const stop = (): void => {
    tunnel.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function keygen(args: string[]): void {
  const i = args.indexOf('--out');
  const out = i >= 0 ? args[i + 1] : undefined;
  if (!out) throw new Error('--out FILE is required.');
  const host = process.env.KONTOR_SERVER_NAME;
  const pair = writeKeyPair(out, `kontor-tunnel${host ? `@${host}` : ''}`);
  console.log(`Wrote this installation's tunnel key to ${out} (keep it on this server only) and ${out}.pub.`);
  console.log(`Fingerprint: ${pair.fingerprint}`);
  console.log('For the relay operator, the entry for the relay config\'s "installations":');
  console.log(JSON.stringify({ hostName: host ?? 'kontor.example-bank.example', publicKey: pair.publicKey }));
}

const [command = 'run', ...rest] = process.argv.slice(2);
try {
  if (command === 'run') run();
  else if (command === 'keygen') keygen(rest);
  else {
    console.log('Usage: npm run tunnel -- run | keygen --out FILE');
    process.exitCode = command === '--help' ? 0 : 1;
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
