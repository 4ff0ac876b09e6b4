import { requires, type RouteTable } from '../http/route-table.js';
import * as schemas from '../tenancy/schemas.js';
import { listAuditEvents, listLoginEvents } from './audit-store.js';
import { verifyAuditChains, verifyLoginChains } from './chains.js';

/** Tenant admins read their own tenant's audit and sign-in records (DESIGN §5). */
export function auditRoutes(routes: RouteTable): void {
  routes.guarded('get', '/audit/events', requires('audit', 'read'), async (ctx, req) => ({
    body: await listAuditEvents(ctx.trx, ctx.tenantId, schemas.auditQuery.parse(req.query)),
  }));
  routes.guarded('get', '/audit/logins', requires('audit', 'read'), async (ctx, req) => ({
    body: await listLoginEvents(ctx.trx, ctx.tenantId, schemas.loginsQuery.parse(req.query)),
  }));
  // The bank's own chains: its audit events and its sign-in records.
  routes.guarded('get', '/audit/verify', requires('audit', 'read'), async (ctx) => {
    const chains = [...(await verifyAuditChains(ctx.trx, ctx.tenantId)), ...(await verifyLoginChains(ctx.trx, ctx.tenantId))];
    return { body: { ok: chains.every((c) => c.ok), chains } };
  });
}
