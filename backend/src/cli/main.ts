/* Operator commands: `npm run kontor -- <command>`. Output goes to the terminal on purpose. */
import { systemClock } from '../clock.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import { createLogger } from '../log/logger.js';
import { createMailer } from '../mail/mailer.js';
import { ensureHome, loadOrCreateSecrets } from '../secrets.js';
import { AuthService } from '../auth/auth-service.js';
import { PasswordHasher } from '../auth/password-hasher.js';
import { SessionTokens } from '../auth/session-token.js';

interface Command {
  usage: string;
  summary: string;
  run(args: string[]): Promise<void>;
}

/** Opens the instance's database as the server would (embedded, or DATABASE_URL), runs `work`, closes. */
async function withInstance<T>(work: (db: Database, services: { auth: AuthService }) => Promise<T>): Promise<T> {
  const config = loadConfig();
  ensureHome(config.home);
  const logger = createLogger({ level: 'warn', clock: systemClock });
  const secrets = loadOrCreateSecrets(config.home);
  const db = await openDatabase(config, secrets, logger);
  try {
    const auth = new AuthService({
      db: db.api,
      hasher: new PasswordHasher(),
      tokens: new SessionTokens(config.sessionSecret ?? secrets.sessionSecret, systemClock),
      mailer: createMailer({ smtpUrl: config.smtpUrl, home: config.home, logger, clock: systemClock }),
      clock: systemClock,
      logger,
      hmacKey: secrets.loginEventKey,
    });
    return await work(db, { auth });
  } finally {
    await db.close();
  }
}

const commands: Record<string, Command> = {
  migrate: {
    usage: 'migrate',
    summary: 'Apply pending database migrations as the owner role, then check the API role is restricted.',
    async run() {
      const config = loadConfig();
      if (config.database.kind === 'external' && !config.database.ownerUrl) {
        throw new Error('migrate needs DATABASE_OWNER_URL (the owner role) besides DATABASE_URL.');
      }
      await withInstance(async () => undefined);
      console.log('Database is migrated and the API role is restricted.');
    },
  },
  retention: {
    usage: 'retention',
    summary: 'Delete what has outlived its retention: successful login events and info audit events after 30 days (failures and errors are kept), expired sessions. The server also runs this daily.',
    async run() {
      const purged = await withInstance((_db, { auth }) => auth.purge());
      console.log(`Retention done: ${purged.loginEvents} successful login event(s), ${purged.auditEvents} info audit event(s) and ${purged.sessions} expired session(s) deleted.`);
    },
  },
};

function help(): void {
  console.log('Usage: npm run kontor -- <command> [options]\n\nCommands:');
  for (const c of Object.values(commands)) console.log(`  ${c.usage.padEnd(16)} ${c.summary}`);
  console.log(`  ${'--help'.padEnd(16)} Show this list.`);
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  help();
} else if (!commands[name]) {
  console.error(`Unknown command "${name}".\n`);
  help();
  process.exitCode = 2;
} else {
  try {
    await commands[name].run(args);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `Failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
