import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

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
  return applied.length;
}
