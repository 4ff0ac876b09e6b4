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
import { systemClock } from '../clock.js';
import { loadTunnelConfig, tunnelKeyHostName, tunnelLogLevel } from '../config.js';
import { createLogger } from '../log/logger.js';
import { readPrivateKey, writeKeyPair } from '../relay/keys.js';
import { startTunnel } from './tunnel.js';

/** Everything the tunnel tells its operator goes through pino, like the server's log; keygen's answer is at info, so never quieter. */
const logger = createLogger({ level: tunnelLogLevel() === 'debug' ? 'debug' : 'info', clock: systemClock });

function run(): void {
  const config = loadTunnelConfig();
  const runLogger = createLogger({ level: config.logLevel, clock: systemClock });
  const key = readPrivateKey(config.keyFile);
  const tunnel = startTunnel({
    relay: config.relay,
    hostName: config.serverName,
    privateKey: key.text,
    relayHostKey: config.relayHostKey,
    target: config.target,
    proxyProtocol: config.proxyProtocol,
    logger: runLogger,
  });
  runLogger.info({ key: key.fingerprint }, 'tunnel started');
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
  const host = tunnelKeyHostName();
  const pair = writeKeyPair(out, `kontor-tunnel${host ? `@${host}` : ''}`);
  // The installation entry is what the relay operator copies into the relay config's "installations".
  logger.info({ file: out, publicFile: `${out}.pub`, fingerprint: pair.fingerprint, installation: { hostName: host ?? 'kontor.example-bank.example', publicKey: pair.publicKey } },
    'tunnel key written; keep the file on this server only and give the installation entry to the relay operator');
}

const [command = 'run', ...rest] = process.argv.slice(2);
try {
  if (command === 'run') run();
  else if (command === 'keygen') keygen(rest);
  else {
    logger.info({ usage: 'npm run tunnel -- run | keygen --out FILE' }, 'unknown command');
    process.exitCode = command === '--help' ? 0 : 1;
  }
} catch (err) {
  // Our own messages (missing --out, settings named but never their values): safe to show.
  logger.fatal({ reason: err instanceof Error ? err.message.slice(0, 500) : 'unknown' }, 'tunnel stopped');
  process.exit(1);
}
