import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { Logger as WorkerLogger, runMigrations } from 'graphile-worker';
import pg from 'pg';
import { grantJobSchema, JOB_SCHEMA } from '../jobs/jobs-store.js';
import { connectionConfig } from './connection.js';
import { API_GROUP_ROLE } from './roles.js';

/** The migrations folder next to this build: `migrations/` at the top (tsx) or `dist/migrations/` (compiled). */
export function migrationsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/db -> ../../../migrations ; dist/backend/src/db -> ../../../migrations (= dist/migrations)
  return path.resolve(here, '../../../migrations');
}

interface MigrationModule {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
}

/** Loads migrations as ES modules in file-name order; knex's own loader does not handle ESM + TypeScript both ways. */
export class FolderMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly dir: string = migrationsDir()) {}

  async getMigrations(): Promise<string[]> {
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    return fs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith(ext) && !f.endsWith('.d.ts') && /^\d{12}_/.test(f))
      .sort();
  }

  getMigrationName(file: string): string {
    return file.replace(/\.(ts|js)$/, '');
  }

  async getMigration(file: string): Promise<Knex.Migration> {
    const mod = (await import(pathToFileURL(path.join(this.dir, file)).href)) as MigrationModule;
    return { up: mod.up, down: mod.down };
  }
}

export async function migrateToLatest(ownerDb: Knex): Promise<number> {
  const [, applied] = (await ownerDb.migrate.latest({ migrationSource: new FolderMigrationSource() })) as [number, string[]];
  await installJobSchema(ownerDb);
  return applied.length;
}

/**
 * The job library's schema (graphile-worker keeps its own, versioned by its own migrations) is
 * brought up to date by the owner, next to Kontor's migrations; the API role gets the rows, never
 * the DDL (graphile-worker, finding its schema current, runs none). No row-level security there:
 * a job holds ids only (bank, container, import or run), never customer data.
 */
export async function installJobSchema(ownerDb: Knex): Promise<void> {
  const pool = new pg.Pool({ ...connectionConfig(ownerDb), max: 1 });
  try {
    await runMigrations({ pgPool: pool, schema: JOB_SCHEMA, logger: new WorkerLogger(() => () => undefined) });
  } finally {
    await pool.end();
  }
  await grantJobSchema(ownerDb, API_GROUP_ROLE);
}
