import type { Knex } from 'knex';
import type pg from 'pg';

/** The one thing rate-limiter-flexible asks of its PostgreSQL client (storeType `pool`). */
export interface StatementClient {
  query(q: { text: string; values?: unknown[]; name?: string }): Promise<pg.QueryResult>;
}

/**
 * The throttle store's client: the API pool, with rate-limiter-flexible's statements run unnamed.
 * The library names them (`rate_limits:rlflx-upsert`), and node-pg prepares a named statement once
 * per connection and from then on only refers to it by name: session state on the server. Behind
 * PgBouncer in transaction mode the next use lands on another server connection ("prepared
 * statement … does not exist"), or a second client prepares the same name where the first did
 * ("… already exists"), and sign-in answers 500. Unnamed statements live for one round trip.
 */
export function unnamedStatements(db: Knex): StatementClient {
  return {
    async query(q) {
      const client = (await db.client.acquireConnection()) as pg.Client;
      try {
        return await client.query({ text: q.text, values: q.values });
      } finally {
        await db.client.releaseConnection(client);
      }
    },
  };
}
