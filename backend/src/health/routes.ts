import type { Knex } from 'knex';
import type { RouteTable } from '../http/route-table.js';

/** Liveness plus a database round trip; answers 503 while the database is unreachable. */
export function healthRoutes(routes: RouteTable, db: Knex): void {
  routes.public('get', '/health', async () => {
    try {
      await db.raw('select 1');
      return { body: { status: 'ok', db: 'ok' } };
    } catch {
      return { status: 503, body: { status: 'degraded', db: 'unavailable' } };
    }
  });
}
