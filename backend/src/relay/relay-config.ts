import fs from 'node:fs';
import { z } from 'zod';
import { isHostName } from './sni.js';
import { parsePublicKey } from './keys.js';

/**
 * The relay's settings, read once (the relay imports nothing of Kontor, so not config.ts): a JSON
 * file named by `--config FILE` or RELAY_CONFIG, validated; its defaults live here and only here.
 */

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

export interface RelayConfig {
  tls: { host: string; port: number };
  tunnel: { host: string; port: number };
  hostKeyFile: string;
  installations: { hostName: string; publicKey: string }[];
  logLevel: 'warn' | 'info' | 'debug';
}

/** A settings problem, in words for the operator (the file's name and the fields, never their values). */
export class RelayConfigError extends Error {}

function split(hostPort: string): { host: string; port: number } {
  const at = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(at + 1)) };
}

/** The relay's log level before its file is read: LOG_LEVEL when it is one the relay knows. */
export function relayLogLevel(env: NodeJS.ProcessEnv = process.env): RelayConfig['logLevel'] {
  const parsed = configSchema.shape.logLevel.safeParse(env.LOG_LEVEL);
  return parsed.success ? parsed.data : 'info';
}

export function loadRelayConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const name = file ?? env.RELAY_CONFIG;
  if (!name) throw new RelayConfigError('--config FILE (or RELAY_CONFIG) is required.');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(name, 'utf8'));
  } catch (err) {
    throw new RelayConfigError(`${name}: ${(err as NodeJS.ErrnoException).code ?? 'not valid JSON'}`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new RelayConfigError(`${name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const c = parsed.data;
  return { tls: split(c.listenTls), tunnel: split(c.listenTunnel), hostKeyFile: c.hostKeyFile, installations: c.installations, logLevel: c.logLevel };
}
