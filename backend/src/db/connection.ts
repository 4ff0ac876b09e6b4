import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

// Return BIGINT (counts, identity ids) as JS numbers: our counts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Where each knex of createKnex connects to (the job queue opens its own small pools there). */
const origins = new WeakMap<Knex, string | pg.ClientConfig>();

export function createKnex(url: string | pg.ClientConfig, poolMax: number): Knex {
  const db = knexFactory({
    client: 'pg',
    connection: url as Knex.PgConnectionConfig | string,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 10_000,
  });
  origins.set(db, url);
  return db;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The connection settings a knex was built with (the job queue opens its own small pools with them). */
export function connectionConfig(db: Knex): pg.ClientConfig {
  const origin = origins.get(db);
  if (origin === undefined) throw new Error('expected a knex built by createKnex');
  return typeof origin === 'string' ? { connectionString: origin } : { ...origin };
}
