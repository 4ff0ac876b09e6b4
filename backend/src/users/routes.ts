import type { Request } from 'express';
import { changeResult } from '../approvals/routes.js';
import { reasonBody } from '../approvals/schemas.js';
import { pathId } from '../http/params.js';
import { requires, type RouteTable } from '../http/route-table.js';
import type { UsersService } from './users-service.js';
import * as schemas from './schemas.js';

function userId(req: Request): string {
  return pathId(req);
}

export function userRoutes(routes: RouteTable, users: UsersService): void {
  routes.guarded('get', '/users', requires('users', 'read'), async (ctx, req) => {
    const q = schemas.listQuery.parse(req.query);
    return { body: await users.list(ctx, q.includeDeleted === 'true') };
  });
  routes.guarded('post', '/users', requires('users', 'write'), async (ctx, req) => changeResult(await users.invite(ctx, schemas.inviteBody.parse(req.body)), 201));
  routes.guarded('get', '/users.csv', requires('users', 'read'), async (ctx, _req, res) => {
    const csv = await users.recertificationCsv(ctx);
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.set('Content-Disposition', 'attachment; filename="users-recertification.csv"');
    return { raw: csv };
  });
  routes.guarded('get', '/users/:id', requires('users', 'read'), async (ctx, req) => ({ body: await users.get(ctx, userId(req)) }));
  routes.guarded('patch', '/users/:id', requires('users', 'write'), async (ctx, req) => {
    const id = userId(req);
    return changeResult(await users.update(ctx, id, schemas.patchBody.parse(req.body)));
  });
  routes.guarded('delete', '/users/:id', requires('users', 'write'), async (ctx, req) => {
    const id = userId(req);
    return changeResult(await users.remove(ctx, id, reasonBody.parse(req.body ?? {}).reason));
  });
  routes.guarded('post', '/users/:id/unlock', requires('users', 'write'), async (ctx, req) => {
    await users.unlock(ctx, userId(req));
  });
  routes.guarded('post', '/users/:id/reset', requires('users', 'write'), async (ctx, req) => {
    await users.sendReset(ctx, userId(req));
  });
  routes.guarded('post', '/users/:id/totp/reset', requires('users', 'write'), async (ctx, req) => {
    await users.resetFactor(ctx, userId(req));
  });
  routes.guarded('delete', '/users/:id/sessions', requires('users', 'write'), async (ctx, req) => ({
    body: { ended: await users.endSessions(ctx, userId(req)) },
  }));
}
