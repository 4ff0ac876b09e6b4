import fs from 'node:fs';
import type { Server } from 'node:http';
import type { Config } from './config.js';
import type { Clock } from './clock.js';
import type { Logger } from './log/logger.js';
import { createApp } from './app.js';
import { openDatabase, type Database } from './db/database.js';
import { defaultStaticDir } from './paths.js';
import { loadOrCreateSecrets } from './secrets.js';

export interface RunningServer {
  url: string;
  database: Database;
  stop(): Promise<void>;
}

/** Starts everything one instance needs: secrets, database, HTTP server. */
export async function startServer(config: Config, logger: Logger, clock: Clock): Promise<RunningServer> {
  const secrets = loadOrCreateSecrets(config.home);
  const database = await openDatabase(config, secrets, logger);
  const staticDir = config.staticDir ?? defaultStaticDir();
  const app = createApp({
    db: database.api,
    logger,
    clock,
    jsonBodyLimit: config.jsonBodyLimit,
    staticDir: fs.existsSync(staticDir) ? staticDir : undefined,
    trustProxy: config.trustProxy,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  }).catch(async (err: unknown) => {
    await database.close();
    throw err;
  });
  const url = `http://${config.host}:${config.port}`;
  return {
    url,
    database,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await database.close();
    },
  };
}
