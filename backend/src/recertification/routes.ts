import { z } from 'zod';
import { reason } from '../approvals/schemas.js';
import { pathId } from '../http/params.js';
import { requires, type RouteTable } from '../http/route-table.js';
import type { RecertificationService } from './recertification-service.js';

const startBody = z.object({ scope: z.enum(['admins', 'all']).default('all') }).strict();
const decisionBody = z.object({ userId: z.string().uuid('must be a user id'), decision: z.enum(['confirm', 'revoke']), reason }).strict();

/** Recertification campaigns: admins of the bank (users:write) review, users:read sees and exports. */
export function recertificationRoutes(routes: RouteTable, recert: RecertificationService): void {
  routes.guarded('get', '/recertifications', requires('users', 'read'), async (ctx) => ({ body: await recert.list(ctx) }));
  routes.guarded('post', '/recertifications', requires('users', 'write'), async (ctx, req) => ({
    status: 201, body: await recert.start(ctx, startBody.parse(req.body ?? {}).scope),
  }));
  routes.guarded('get', '/recertifications/:id', requires('users', 'read'), async (ctx, req) => ({ body: await recert.get(ctx, pathId(req)) }));
  routes.guarded('post', '/recertifications/:id/decisions', requires('users', 'write'), async (ctx, req) => {
    const id = pathId(req);
    return { body: await recert.decide(ctx, id, decisionBody.parse(req.body)) };
  });
  routes.guarded('get', '/recertifications/:id/evidence.csv', requires('users', 'read'), async (ctx, req, res) => {
    const id = pathId(req);
    const csv = await recert.evidenceCsv(ctx, id);
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.set('Content-Disposition', `attachment; filename="recertification-${id}.csv"`);
    return { raw: csv };
  });
}
