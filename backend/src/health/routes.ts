import type { Knex } from 'knex';
import type { RouteTable } from '../http/route-table.js';
import type { ShippingHealth } from '../audit/syslog-shipper.js';
import { pingDatabase } from './health-store.js';

/**
 * Liveness plus a database round trip; answers 503 while the database is unreachable. When the
 * audit records' syslog copy lags behind its bound, the status is `degraded` with the reason
 * (still 200: the application itself works).
 */
export function healthRoutes(routes: RouteTable, db: Knex, shipping?: { health(): ShippingHealth | null }): void {
  routes.public('get', '/health', async () => {
    try {
      await pingDatabase(db);
    } catch {
      return { status: 503, body: { status: 'degraded', db: 'unavailable' } };
    }
    const lag = shipping?.health() ?? null;
    if (lag) return { body: { status: 'degraded', db: 'ok', auditShipping: lag } };
    return { body: { status: 'ok', db: 'ok' } };
  });
}
