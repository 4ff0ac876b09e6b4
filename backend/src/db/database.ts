import path from 'node:path';
import type { Knex } from 'knex';
import type pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../log/logger.js';
import type { Secrets } from '../secrets.js';
import { checkApiRole, checkSameSession, ensureEmbeddedRolesAndDatabase } from './bootstrap.js';
import { connectionConfig, createKnex } from './connection.js';
import { startEmbeddedPostgres } from './embedded.js';
import { migrateToLatest } from './migrations.js';
import { DATABASE_NAME, EMBEDDED_API_LOGIN, OWNER_ROLE, RETENTION_ROLE } from './roles.js';

export interface Database {
  /** The restricted API role: all request work runs through this. */
  api: Knex;
  /**
   * Where work that needs a real PostgreSQL session connects: the job library (LISTEN/NOTIFY, its
   * prepared statements), the heartbeats and the leader's advisory lock. DATABASE_DIRECT_URL when
   * DATABASE_URL goes through a transaction pooler (PgBouncer); else the API role's own settings.
   */
  session: pg.ClientConfig;
  /** Owner credentials, when this process has them (migrations, operator commands). */
  ownerUrl: string | undefined;
  /** The retention role (deletes old ends of the audit chains), when this process has it. */
  retentionUrl: string | undefined;
  close(): Promise<void>;
}

export class DatabaseSetupError extends Error {}

export function credentialsUrl(host: string, port: number, user: string, password: string): string {
  return `postgres://${user}:${encodeURIComponent(password)}@${host}:${port}/${DATABASE_NAME}`;
}

/**
 * Brings the database to a usable state: embedded cluster started (or external one reached),
 * migrations applied as the owner, and the API role verified to be unable to bypass RLS.
 */
export async function openDatabase(config: Config, secrets: Secrets, logger: Logger): Promise<Database> {
  let stopEmbedded: (() => Promise<void>) | undefined;
  let apiUrl: string;
  let ownerUrl: string | undefined;
  let retentionUrl: string | undefined;
  let directUrl: string | undefined;

  if (config.database.kind === 'embedded') {
    const embedded = await startEmbeddedPostgres({
      dataDir: path.join(config.home, 'pg'),
      port: config.database.port,
      superPassword: secrets.pgSuperPassword,
      logger,
    });
    stopEmbedded = () => embedded.stop();
    try {
      await ensureEmbeddedRolesAndDatabase(embedded.superUrl('postgres'), {
        owner: secrets.pgOwnerPassword,
        api: secrets.pgApiPassword,
        retention: secrets.pgRetentionPassword,
      });
    } catch (err) {
      await embedded.stop();
      throw err;
    }
    ownerUrl = credentialsUrl('127.0.0.1', config.database.port, OWNER_ROLE, secrets.pgOwnerPassword);
    apiUrl = credentialsUrl('127.0.0.1', config.database.port, EMBEDDED_API_LOGIN, secrets.pgApiPassword);
    retentionUrl = credentialsUrl('127.0.0.1', config.database.port, RETENTION_ROLE, secrets.pgRetentionPassword);
  } else {
    apiUrl = config.database.apiUrl;
    ownerUrl = config.database.ownerUrl;
    retentionUrl = config.database.retentionUrl;
    directUrl = config.database.directUrl;
  }

  const api = createKnex(apiUrl, config.database.poolMax);
  const close = async () => {
    await api.destroy();
    if (stopEmbedded) await stopEmbedded();
  };
  try {
    if (ownerUrl) {
      const owner = createKnex(ownerUrl, 1);
      try {
        const applied = await migrateToLatest(owner);
        logger.info({ applied }, 'migrations applied');
      } finally {
        await owner.destroy();
      }
    }
    // Without owner credentials (a compose backend) migrations are the one-shot `migrate` job's work.
    const check = await checkApiRole(api);
    if (!check.ok) throw new DatabaseSetupError(`Refusing to start: ${check.problems.join('; ')}.`);
    if (directUrl) {
      const direct = createKnex(directUrl, 1);
      try {
        const problems = await checkSameSession(api, direct);
        if (problems.length) throw new DatabaseSetupError(`Refusing to start: ${problems.join('; ')}.`);
      } finally {
        await direct.destroy();
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  const session = directUrl ? { connectionString: directUrl } : connectionConfig(api);
  return { api, session, ownerUrl, retentionUrl, close };
}

