/**
 * `npm run relay -- <command>`: the blind relay, a process of its own for a DMZ host. It imports
 * nothing of Kontor but this folder (test/relay-tunnel.test.ts keeps it so), only ssh2, pino, zod.
 *   serve --config FILE      run the relay (default command)
 *   host-key --out FILE      make the relay's ed25519 host key, print the fingerprint Kontor pins
 */
import { pino, type Logger } from 'pino';
import { writeKeyPair, readPrivateKey } from './keys.js';
import { loadRelayConfig, relayLogLevel, RelayConfigError, type RelayConfig } from './relay-config.js';
import { startRelay } from './relay.js';

/** Everything the relay tells its operator goes through pino (JSON lines on stdout), as the tunnel does. */
function relayLogger(level: RelayConfig['logLevel']): Logger {
  return pino({ level, base: { app: 'kontor-relay' }, timestamp: pino.stdTimeFunctions.isoTime });
}

const logger = relayLogger(relayLogLevel());

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function serve(args: string[]): Promise<void> {
  const config = loadRelayConfig(option(args, 'config'));
  const runLogger = relayLogger(config.logLevel);
  const hostKey = readPrivateKey(config.hostKeyFile);
  const relay = await startRelay({ tls: config.tls, tunnel: config.tunnel, hostKey: hostKey.text, installations: config.installations, logger: runLogger });
  runLogger.info({ tlsPort: relay.tlsPort, tunnelPort: relay.tunnelPort, hostKey: hostKey.fingerprint }, 'relay started');
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
  logger.info({ file: out, fingerprint: pair.fingerprint }, "relay host key written; keep it on the relay only and give the fingerprint to each installation's KONTOR_RELAY_HOST_KEY");
}

const [command = 'serve', ...rest] = process.argv.slice(2);
try {
  if (command === 'serve') await serve(rest);
  else if (command === 'host-key') hostKey(rest);
  else {
    logger.info({ usage: 'npm run relay -- serve --config FILE | host-key --out FILE' }, command === '--help' ? 'usage' : 'unknown command');
    process.exitCode = command === '--help' ? 0 : 1;
  }
} catch (err) {
  // Our own messages (a missing option, the config file's fields, a key file that exists): safe to show.
  logger.fatal({ reason: err instanceof Error ? err.message.slice(0, 1000) : 'unknown' }, err instanceof RelayConfigError ? 'relay config refused' : 'relay stopped');
  process.exit(1);
}
