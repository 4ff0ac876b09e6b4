import { changeResult } from '../approvals/routes.js';
import { pathId } from '../http/params.js';
import { requires, type RouteTable } from '../http/route-table.js';
import type { PlatformService } from './platform-service.js';
import * as schemas from './schemas.js';

export function platformRoutes(routes: RouteTable, platform: PlatformService): void {
  routes.guarded('get', '/platform/tenants', requires('platform.tenants', 'read'), async (ctx) => ({ body: await platform.listTenants(ctx) }));
  routes.guarded('post', '/platform/tenants', requires('platform.tenants', 'write'), async (ctx, req) => ({
    status: 201, body: await platform.createTenant(ctx, schemas.createTenantBody.parse(req.body)),
  }));
  routes.guarded('patch', '/platform/tenants/:id', requires('platform.tenants', 'write'), async (ctx, req) => {
    const id = pathId(req);
    return { body: await platform.updateTenant(ctx, id, schemas.patchTenantBody.parse(req.body)) };
  });

  routes.guarded('get', '/platform/users', requires('platform.users', 'read'), async (ctx) => ({ body: await platform.listVendorUsers(ctx) }));
  routes.guarded('post', '/platform/users', requires('platform.users', 'write'), async (ctx, req) => (
    changeResult(await platform.createVendorUser(ctx, schemas.createVendorUserBody.parse(req.body)), 201)
  ));
  routes.guarded('patch', '/platform/users/:id', requires('platform.users', 'write'), async (ctx, req) => {
    const id = pathId(req);
    const body = schemas.patchVendorUserBody.parse(req.body);
    return changeResult(await platform.setVendorRoles(ctx, id, body.roleIds, body.reason));
  });
  routes.guarded('post', '/platform/users/:id/totp/reset', requires('platform.users', 'write'), async (ctx, req) => {
    await platform.resetVendorFactor(ctx, pathId(req));
  });
  routes.guarded('post', '/platform/users/:id/grants/:tenantId', requires('platform.users', 'write'), async (ctx, req) => {
    const [id, tenantId] = [pathId(req), pathId(req, 'tenantId')];
    await platform.grant(ctx, id, tenantId, schemas.grantBody.parse(req.body).roleIds);
  });
  routes.guarded('delete', '/platform/users/:id/grants/:tenantId', requires('platform.users', 'write'), async (ctx, req) => {
    const [id, tenantId] = [pathId(req), pathId(req, 'tenantId')];
    await platform.revokeGrant(ctx, id, tenantId);
  });

  routes.guarded('get', '/platform/roles', requires('platform.roles', 'read'), async (ctx) => ({ body: await platform.listRoles(ctx, false) }));
  routes.guarded('post', '/platform/roles', requires('platform.roles', 'write'), async (ctx, req) => ({
    status: 201, body: await platform.createRole(ctx, schemas.createRoleBody.parse(req.body)),
  }));
  routes.guarded('patch', '/platform/roles/:id', requires('platform.roles', 'write'), async (ctx, req) => {
    const id = pathId(req);
    return { body: await platform.updateRole(ctx, id, schemas.patchRoleBody.parse(req.body)) };
  });

  // Tenant admins see the roles they may assign (read-only); in the vendor tenant, all roles.
  routes.guarded('get', '/roles', requires('users', 'read'), async (ctx) => ({ body: await platform.listRoles(ctx, !ctx.isVendorTenant) }));
}
