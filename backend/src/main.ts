import fs from 'node:fs';
import path from 'node:path';
import { systemClock } from './clock.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DatabaseSetupError } from './db/database.js';
import { leaveStopSignalsToCaller } from './db/embedded.js';
import { createLogger } from './log/logger.js';
import { errorFields, isDatabaseError } from './log/error-fields.js';
import { ensureHome } from './secrets.js';
import { AlreadyRunning, acquireInstanceLock } from './instance-lock.js';
import { PortInUse, startServer } from './server.js';

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nKontor did not start. Fix the settings above and try again.\n`);
      process.exit(2);
    }
    throw err;
  }
}

const config = configOrExit();
ensureHome(config.home);
// One server per KONTOR_HOME: a second one would start a second cluster on the same data directory.
const lock = (() => {
  try {
    return acquireInstanceLock(config.home);
  } catch (err) {
    if (!(err instanceof AlreadyRunning)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
})();
process.on('exit', () => lock.release());
const logger = createLogger({ level: config.logLevel, home: config.home, keepDays: config.logKeepDays, clock: systemClock });

try {
  const running = await startServer(config, logger, systemClock);
  logger.info({ port: config.port }, 'kontor listening');
  const adminFile = path.join(config.home, 'initial-admin.txt');
  if (running.initialAdminFile) {
    process.stdout.write(`\nFirst start: the superadmin's sign-in is in ${running.initialAdminFile} (readable by this user only).\n`);
  } else if (fs.existsSync(adminFile)) {
    process.stdout.write(`\nReminder: ${adminFile} still exists. Once the superadmin has signed in and chosen a new password, delete it.\n`);
  }
  process.stdout.write(`\nKontor is running at ${running.url}\nState: ${config.home}\nPress Ctrl-C to stop.\n\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  leaveStopSignalsToCaller();
} catch (err) {
  if (err instanceof DatabaseSetupError || err instanceof PortInUse) {
    process.stderr.write(`${err.message}\n`);
  } else {
    const e = err instanceof Error ? err : new Error('unknown');
    // Startup errors come from our own code, the file system or the database; a database message may quote SQL.
    logger.fatal({ ...errorFields(e), ...(isDatabaseError(e) ? {} : { reason: e.message.slice(0, 300) }) }, 'startup failed');
    process.stderr.write(`Kontor could not start (${e.name}${(e as { code?: string }).code ? ` ${(e as { code?: string }).code}` : ''}). See the log in ${config.home}/log.\n`);
  }
  process.exit(1);
}
