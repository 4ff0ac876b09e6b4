import { pathId } from '../http/params.js';
import { requires, type RouteTable } from '../http/route-table.js';
import type { AccessService } from './access-service.js';
import { approvalBody, newAccessRequestBody } from './schemas.js';

/** Vendor access requests: the vendor files and (for emergencies) approves; the bank decides and sees every visit. */
export function accessRoutes(routes: RouteTable, access: AccessService): void {
  routes.guarded('post', '/platform/access-requests', requires('platform.tenants', 'read'), async (ctx, req) => ({
    status: 201, body: await access.file(ctx, newAccessRequestBody.parse(req.body)),
  }));
  routes.guarded('get', '/platform/access-requests', requires('platform.tenants', 'read'), async (ctx) => ({ body: await access.listForVendor(ctx) }));
  routes.guarded('post', '/platform/access-requests/:id/approve', requires('platform.users', 'write'), async (ctx, req) => ({
    body: await access.approveEmergency(ctx, pathId(req)),
  }));

  routes.guarded('get', '/access-requests', requires('users', 'read'), async (ctx) => ({ body: await access.listForBank(ctx) }));
  routes.guarded('post', '/access-requests/:id/approve', requires('users', 'write'), async (ctx, req) => {
    const id = pathId(req);
    return { body: await access.approve(ctx, id, approvalBody.parse(req.body ?? {}).departmentIds) };
  });
  routes.guarded('post', '/access-requests/:id/deny', requires('users', 'write'), async (ctx, req) => ({ body: await access.deny(ctx, pathId(req)) }));
  routes.guarded('post', '/access-requests/:id/revoke', requires('users', 'write'), async (ctx, req) => ({ body: await access.revoke(ctx, pathId(req)) }));
}
