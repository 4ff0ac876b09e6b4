import { Router } from 'express';
import type { Knex } from 'knex';

/** Liveness plus a database round trip; answers 503 while the database is unreachable. */
export function healthRoutes(db: Knex): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    let dbOk = false;
    try {
      await db.raw('select 1');
      dbOk = true;
    } catch {
      dbOk = false;
    }
    res.set('Cache-Control', 'no-store');
    res.status(dbOk ? 200 : 503).json({ status: dbOk ? 'ok' : 'degraded', db: dbOk ? 'ok' : 'unavailable' });
  });
  return router;
}
