/* Operator commands: `npm run kontor -- <command>`. Output goes to the terminal on purpose. */
import { systemClock } from '../clock.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { createLogger } from '../log/logger.js';
import { ensureHome, loadOrCreateSecrets } from '../secrets.js';

interface Command {
  summary: string;
  run(args: string[]): Promise<void>;
}

const commands: Record<string, Command> = {
  migrate: {
    summary: 'Apply pending database migrations as the owner role (embedded or DATABASE_OWNER_URL), then check the API role.',
    async run() {
      const config = loadConfig();
      if (config.database.kind === 'external' && !config.database.ownerUrl) {
        throw new Error('migrate needs DATABASE_OWNER_URL (the owner role) besides DATABASE_URL.');
      }
      ensureHome(config.home);
      const logger = createLogger({ level: 'warn', clock: systemClock });
      const db = await openDatabase(config, loadOrCreateSecrets(config.home), logger);
      await db.close();
      console.log('Database is migrated and the API role is restricted.');
    },
  },
};

function help(): void {
  console.log('Usage: npm run kontor -- <command> [options]\n\nCommands:');
  for (const [name, c] of Object.entries(commands)) console.log(`  ${name.padEnd(12)} ${c.summary}`);
  console.log(`  ${'--help'.padEnd(12)} Show this list.`);
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
