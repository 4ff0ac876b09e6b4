/**
 * `npm run relay -- <command>`: the blind relay, a process of its own for a DMZ host. It imports
 * nothing of Kontor but this folder (test/relay-imports.test.ts keeps it so), only ssh2, pino, zod.
 *   serve --config FILE      run the relay (default command)
 *   host-key --out FILE      make the relay's ed25519 host key, print the fingerprint Kontor pins
 */
import fs from 'node:fs';
import { pino } from 'pino';
import { z } from 'zod';
import { isHostName } from './sni.js';
import { parsePublicKey, readPrivateKey, writeKeyPair } from './keys.js';
import { startRelay } from './relay.js';

const address = z.string().regex(/^(\[[0-9a-f:.]+\]|[0-9a-z.-]+):\d{1,5}$/i, 'host:port');
const configSchema = z.object({
  listenTls: address.default('0.0.0.0:443'),
  listenTunnel: address.default('0.0.0.0:2222'),
  hostKeyFile: z.string().min(1).max(4096),
  installations: z
    .array(z.object({
      hostName: z.string().max(253).refine(isHostName, 'a DNS host name'),
      publicKey: z.string().max(1024).refine((k) => {
        try {
          parsePublicKey(k);
          return true;
        } catch {
          return false;
        }
      }, 'an ssh-ed25519 public key line'),
    }).strict())
    .min(1)
    .max(1000)
    .refine((list) => new Set(list.map((i) => i.hostName.toLowerCase())).size === list.length, 'each host name once'),
  logLevel: z.enum(['warn', 'info', 'debug']).default('info'),
}).strict();

function split(hostPort: string): { host: string; port: number } {
  const at = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(at + 1)) };
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function serve(args: string[]): Promise<void> {
  const file = option(args, 'config') ?? process.env.RELAY_CONFIG;
  if (!file) throw new Error('--config FILE (or RELAY_CONFIG) is required.');
  const parsed = configSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const config = parsed.data;
  const logger = pino({ level: config.logLevel, base: { app: 'kontor-relay' }, timestamp: pino.stdTimeFunctions.isoTime });
  const hostKey = readPrivateKey(config.hostKeyFile);
  const relay = await startRelay({
    tls: split(config.listenTls),
    tunnel: split(config.listenTunnel),
    hostKey: hostKey.text,
    installations: config.installations,
    logger,
  });
  logger.info({ tlsPort: relay.tlsPort, tunnelPort: relay.tunnelPort, hostKey: hostKey.fingerprint }, 'relay started');
  const stop = (): void => {
    relay.close().then(() => process.exit(0), () => process.exit(1));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function hostKey(args: string[]): void {
  const out = option(args, 'out');
  if (!out) throw new Error('--out FILE is required.');
  const pair = writeKeyPair(out, 'kontor-relay');
  console.log(`Wrote the relay's host key to ${out} (keep it on the relay only).`);
  console.log(`Host key fingerprint, for each Kontor installation's KONTOR_RELAY_HOST_KEY: ${pair.fingerprint}`);
}

const [command = 'serve', ...rest] = process.argv.slice(2);
try {
  if (command === 'serve') await serve(rest);
  else if (command === 'host-key') hostKey(rest);
  else {
    console.log('Usage: npm run relay -- serve --config FILE | host-key --out FILE');
    process.exitCode = command === '--help' ? 0 : 1;
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
