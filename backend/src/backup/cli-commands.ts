/* The backup subcommands of `npm run kontor`; output goes to the terminal on purpose. */
import { say } from '../cli/output.js';
import path from 'node:path';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import fs from 'node:fs';
import { openDatabase } from '../db/database.js';
import { createLogger } from '../log/logger.js';
import { ensureHome, loadOrCreateSecrets } from '../secrets.js';
import { instanceKeys } from '../wiring.js';
import { exportTenant } from './tenant-export.js';
import { importTenant } from './tenant-import.js';
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

/** The owner role's connection, as `migrate` gets it (embedded: started or attached; external: DATABASE_OWNER_URL). */
async function withOwner<T>(work: (ownerUrl: string, keys: { totpKey: string; hmacKey: string }) => Promise<T>): Promise<T> {
  const config = loadConfig();
  if (config.database.kind === 'external' && !config.database.ownerUrl) throw new Error('this command needs DATABASE_OWNER_URL (the owner role).');
  ensureHome(config.home);
  const secrets = loadOrCreateSecrets(config.home);
  const db = await openDatabase(config, secrets, createLogger({ level: 'warn', clock: systemClock }));
  try {
    const { totpKey, hmacKey } = instanceKeys(config, secrets);
    return await work(db.ownerUrl!, { totpKey, hmacKey });
  } finally {
    await db.close();
  }
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
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
      say(`Backup of ${home} written to ${out}: ${result.manifest.files.length} files, ${mib(result.bytes)}, WAL up to ${result.manifest.postgres.stopLsn}.`);
      say('It holds customer data and the installation\'s secrets: keep it encrypted and delete it when the banks\' retention periods end (docs/operations.md).');
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
      say(`Backup of ${result.createdAt} checked (${result.files} files, ${mib(result.bytes)}) and restored into ${config.home}; its database recovered and stopped again.`);
      say('Start it as usual (npm start with this KONTOR_HOME); users sign in with their passwords and second factors.');
    },
  },
  'export-tenant': {
    usage: 'export-tenant ID FILE',
    summary: 'Write every row of one bank (its data, users, credentials, second factors, roles held, audit and sign-in chains) into the new file FILE.',
    async run(args) {
      const [id, file] = args;
      if (!id || !file || args.length !== 2) throw new Error('usage: export-tenant ID FILE');
      const target = path.resolve(file);
      const manifest = await withOwner((ownerUrl, keys) => exportTenant({ ownerUrl, tenantId: id, file: target, now: systemClock.now(), keys }));
      const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
      say(`Bank "${manifest.tenant.name}" (${manifest.tenant.id}) exported to ${target}: ${manifest.tables.length} tables, ${rows} rows, ${mib(fs.statSync(target).size)}.`);
      say('The file holds the bank\'s customer data and password hashes: keep it encrypted and delete it when the bank\'s retention period ends.');
    },
  },
  'import-tenant': {
    usage: 'import-tenant FILE [--source-secrets SECRETS.json]',
    summary: 'Load an export as a new bank (refused if its id, name or a user\'s e-mail exists here); second factors are re-encrypted with this installation\'s key, for which the source\'s secrets.json is needed.',
    async run(args) {
      const file = args[0];
      if (!file || file.startsWith('--')) throw new Error('usage: import-tenant FILE [--source-secrets SECRETS.json]');
      const secretsFile = option(args, 'source-secrets');
      let sourceKeys: { totpKey: string; hmacKey: string } | undefined;
      if (secretsFile) {
        const s = JSON.parse(fs.readFileSync(path.resolve(secretsFile), 'utf8')) as { totpKey?: string; loginEventKey?: string };
        if (!s.totpKey || !s.loginEventKey) throw new Error(`${secretsFile} has no totpKey and loginEventKey.`);
        sourceKeys = { totpKey: s.totpKey, hmacKey: s.loginEventKey };
      }
      const report = await withOwner((ownerUrl, keys) => importTenant({ ownerUrl, file: path.resolve(file), now: systemClock.now(), keys, sourceKeys }));
      const rows = Object.values(report.rows).reduce((n, r) => n + r, 0);
      say(`Bank "${report.tenantName}" (${report.tenantId}) imported: ${rows} rows in ${Object.keys(report.rows).length} tables, ${report.reencryptedFactors} second factor(s) re-encrypted.`);
      if (report.staffStubs) say(`${report.staffStubs} person(s) of the other installation named in its records (vendor staff) were added as deleted accounts; grant vendor access here again if needed.`);
      if (report.droppedKeyed.length) say(`Not carried over (keyed with the other installation's key): ${report.droppedKeyed.join(', ')}; users make new recovery codes after signing in.`);
      say('Run `audit verify` to check the bank\'s chains here.');
    },
  },
};
