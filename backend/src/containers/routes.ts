import type { Request } from 'express';
import { fail } from '../http/error-catalogue.js';
import { z } from 'zod';
import { pathId as id } from '../http/params.js';
import { requires, type RouteTable } from '../http/route-table.js';
import { IMPORT_KINDS, type ImportKind } from '../imports/formats.js';
import type { ContainersService } from './containers-service.js';

const name = z.string().trim().min(1, 'is required').max(120);
export const createBody = z.object({ name });
export const patchBody = z.object({ name: name.optional(), locked: z.boolean().optional() }).strict();

function kind(req: Request): ImportKind {
  const k = req.params.kind as ImportKind;
  if (!IMPORT_KINDS.includes(k)) throw fail('invalid_input', { reason: 'unknown_kind', field: 'kind', kinds: IMPORT_KINDS.join(', ') });
  return k;
}

export function containerRoutes(routes: RouteTable, containers: ContainersService): void {
  routes.guarded('get', '/containers', requires('containers', 'read'), async (ctx) => ({ body: await containers.list(ctx) }));
  routes.guarded('post', '/containers', requires('containers', 'write'), async (ctx, req) => ({
    status: 201, body: await containers.create(ctx, createBody.parse(req.body).name),
  }));
  routes.guarded('get', '/containers/:id', requires('containers', 'read'), async (ctx, req) => ({ body: await containers.get(ctx, id(req)) }));
  routes.guarded('patch', '/containers/:id', requires('containers', 'write'), async (ctx, req) => {
    const containerId = id(req);
    return { body: await containers.update(ctx, containerId, patchBody.parse(req.body)) };
  });
  routes.guarded('delete', '/containers/:id', requires('containers', 'write'), async (ctx, req) => {
    await containers.remove(ctx, id(req));
  });
  // The upload is streamed to disk between two checks, with no database connection held meanwhile.
  const upload = requires('containers', 'write', {
    prepare: { check: (ctx, req) => containers.admitUpload(ctx, id(req), kind(req), req), run: (req) => containers.spool(req) },
  });
  routes.guarded('post', '/containers/:id/imports/:kind', upload, async (ctx, req, _res, spooled) => ({
    status: 202, body: await containers.startImport(ctx, id(req), kind(req), req, spooled as { id: string; file: string; bytes: number }),
  }));
  routes.guarded('get', '/imports/:id', requires('containers', 'read'), async (ctx, req) => ({ body: await containers.getImport(ctx, id(req)) }));
}
