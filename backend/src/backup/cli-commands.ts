/* The backup subcommands of `npm run kontor`; output goes to the terminal on purpose. */
import path from 'node:path';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../log/logger.js';
import { takeBackup } from './physical-backup.js';
import { restoreBackup } from './restore.js';

interface Command {
  usage: string;
  summary: string;
  run(args: string[]): Promise<void>;
}

function oneDir(args: string[], usage: string): string {
  if (args.length !== 1 || !args[0] || args[0].startsWith('--')) throw new Error(`usage: ${usage}`);
  return path.resolve(args[0]);
}

function embeddedPort(): { home: string; port: number } {
  const config = loadConfig();
  if (config.database.kind !== 'embedded') {
    throw new Error('backup and restore copy the embedded database; with DATABASE_URL use pg_basebackup or pg_dump of the server (docs/operations.md, "Backups and restore").');
  }
  return { home: config.home, port: config.database.port };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export const backupCommands: Record<string, Command> = {
  backup: {
    usage: 'backup DIR',
    summary: 'Online backup of this installation (embedded database, secrets.json, audit signing key) into the new directory DIR, while the server runs.',
    async run(args) {
      const out = oneDir(args, 'backup DIR');
      const { home, port } = embeddedPort();
      const logger = createLogger({ level: 'warn', clock: systemClock });
      const result = await takeBackup({ home, pgPort: port, out, logger, now: () => systemClock.now() });
      console.log(`Backup of ${home} written to ${out}: ${result.manifest.files.length} files, ${mib(result.bytes)}, WAL up to ${result.manifest.postgres.stopLsn}.`);
      console.log('It holds customer data and the installation\'s secrets: keep it encrypted and delete it when the banks\' retention periods end (docs/operations.md).');
    },
  },
  restore: {
    usage: 'restore DIR',
    summary: 'Check the backup in DIR against its manifest and restore it into KONTOR_HOME, which must be empty or missing; then start Kontor as usual.',
    async run(args) {
      const from = oneDir(args, 'restore DIR');
      const config = loadConfig();
      if (config.database.kind !== 'embedded') embeddedPort();
      const logger = createLogger({ level: 'warn', clock: systemClock });
      const result = await restoreBackup({ from, home: config.home, logger });
      console.log(`Backup of ${result.createdAt} checked (${result.files} files, ${mib(result.bytes)}) and restored into ${config.home}; its database recovered and stopped again.`);
      console.log('Start it as usual (npm start with this KONTOR_HOME); users sign in with their passwords and second factors.');
    },
  },
};
