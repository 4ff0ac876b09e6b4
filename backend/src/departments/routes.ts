import { z } from 'zod';
import { pathId } from '../http/params.js';
import { requires, signedIn, type RouteTable } from '../http/route-table.js';
import type { DepartmentsService } from './departments-service.js';

const name = z.string().trim().min(1, 'is required').max(120);
const createBody = z.object({ name }).strict();
const patchBody = z.object({ name: name.optional(), archived: z.boolean().optional() }).strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'needs at least one of name, archived', params: { reason: 'empty_patch' } });

export function departmentRoutes(routes: RouteTable, departments: DepartmentsService): void {
  routes.guarded('get', '/departments', signedIn, async (ctx) => ({ body: await departments.list(ctx) }));
  routes.guarded('post', '/departments', requires('users', 'write'), async (ctx, req) => ({
    status: 201, body: await departments.create(ctx, createBody.parse(req.body).name),
  }));
  routes.guarded('patch', '/departments/:id', requires('users', 'write'), async (ctx, req) => {
    const id = pathId(req);
    return { body: await departments.update(ctx, id, patchBody.parse(req.body)) };
  });
}
