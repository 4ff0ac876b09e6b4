import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { systemClock } from '../../backend/src/clock.js';
import { ensureEmbeddedRolesAndDatabase } from '../../backend/src/db/bootstrap.js';
import { createKnex } from '../../backend/src/db/connection.js';
import { startEmbeddedPostgres } from '../../backend/src/db/embedded.js';
import { migrateToLatest } from '../../backend/src/db/migrations.js';
import { DATABASE_NAME, EMBEDDED_API_LOGIN, OWNER_ROLE, RETENTION_ROLE } from '../../backend/src/db/roles.js';
import { createLogger } from '../../backend/src/log/logger.js';
import { freePort } from '../../backend/src/net/free-port.js';

/** A throw-away embedded PostgreSQL, migrated, with owner and API connections and the URLs of its three logins. */
export async function benchDatabase(poolMax = 10): Promise<{ api: Knex; owner: Knex; urls: { api: string; owner: string; retention: string }; stop(): Promise<void> }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-bench-'));
  fs.chmodSync(home, 0o711);
  const port = await freePort();
  const pw = { super: randomBytes(24).toString('hex'), owner: randomBytes(24).toString('hex'), api: randomBytes(24).toString('hex'), retention: randomBytes(24).toString('hex') };
  const logger = createLogger({ level: 'warn', clock: systemClock });
  const pg = await startEmbeddedPostgres({ dataDir: path.join(home, 'pg'), port, superPassword: pw.super, logger });
  await ensureEmbeddedRolesAndDatabase(pg.superUrl('postgres'), { owner: pw.owner, api: pw.api, retention: pw.retention });
  const url = (role: string, password: string) => `postgres://${role}:${password}@127.0.0.1:${port}/${DATABASE_NAME}`;
  const urls = { api: url(EMBEDDED_API_LOGIN, pw.api), owner: url(OWNER_ROLE, pw.owner), retention: url(RETENTION_ROLE, pw.retention) };
  const owner = createKnex(urls.owner, 4);
  await migrateToLatest(owner);
  const api = createKnex(urls.api, poolMax);
  return {
    api,
    owner,
    urls,
    stop: async () => {
      await api.destroy();
      await owner.destroy();
      await pg.stop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
