import { z } from 'zod';
import { fail } from '../http/error-catalogue.js';
import { requires, type RouteTable } from '../http/route-table.js';
import * as schemas from '../tenancy/schemas.js';
import type { AuditService } from './audit-service.js';

export const exportQuery = z.object({
  from: z.string().datetime({ offset: true, message: 'must be an ISO date-time' }),
  to: z.string().datetime({ offset: true, message: 'must be an ISO date-time' }),
}).strict();

/** Tenant admins read their own tenant's audit and sign-in records (DESIGN §5). */
export function auditRoutes(routes: RouteTable, audit: AuditService): void {
  routes.guarded('get', '/audit/events', requires('audit', 'read'), async (ctx, req) => ({ body: await audit.events(ctx, schemas.auditQuery.parse(req.query)) }));
  routes.guarded('get', '/audit/logins', requires('audit', 'read'), async (ctx, req) => ({ body: await audit.logins(ctx, schemas.loginsQuery.parse(req.query)) }));
  routes.guarded('get', '/audit/verify', requires('audit', 'read'), async (ctx) => ({ body: await audit.verify(ctx) }));
  routes.guarded('get', '/audit/checkpoints', requires('audit', 'read'), async (ctx) => ({ body: audit.checkpointsInfo(ctx) }));
  routes.guarded('post', '/audit/checkpoints', requires('audit', 'read'), async (ctx) => ({ body: await audit.checkpointNow(ctx) }));
  routes.guarded('get', '/audit/export', requires('audit', 'read'), async (ctx, req, res) => {
    audit.need();
    const q = exportQuery.parse(req.query);
    const from = new Date(q.from);
    const to = new Date(q.to);
    if (to <= from) throw fail('invalid_input', { reason: 'not_after', field: 'to', other: 'from' });
    const { text, filename } = await audit.export(ctx, from, to);
    res.set('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.set('Content-Disposition', `attachment; filename="${filename}"`);
    return { raw: text };
  });
}
