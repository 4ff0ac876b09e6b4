import { randomUUID } from 'node:crypto';
import { fail } from '../http/error-catalogue.js';
import fs from 'node:fs';
import type { Request } from 'express';
import { z } from 'zod';
import { changeResult } from '../approvals/routes.js';
import { reason, reasonBody } from '../approvals/schemas.js';
import { pathId as id } from '../http/params.js';
import { requires, type Prepared, type RouteTable } from '../http/route-table.js';
import { ensureFreeSpace, spoolUpload } from '../imports/spool.js';
import { IMPORT_KINDS, type ImportKind } from '../imports/formats.js';
import type { RequestContext } from '../auth/context.js';
import type { ContainersService, SpooledUpload } from './containers-service.js';

const name = z.string().trim().min(1, 'is required').max(120);
const departmentId = z.string().uuid('must be a department id');
const createBody = z.object({ name, departmentId: departmentId.optional() });
const patchBody = z.object({ name: name.optional(), locked: z.boolean().optional(), departmentId: departmentId.optional(), reason }).strict();
const listQuery = z.object({ departmentId: departmentId.optional() });
/** `GET /imports?status=active`: the only listing of imports (the overview's running jobs). */
const importsQuery = z.object({ status: z.literal('active', { message: 'must be active' }) }).strict();

function kind(req: Request): ImportKind {
  const k = req.params.kind as ImportKind;
  if (!IMPORT_KINDS.includes(k)) throw fail('invalid_input', { reason: 'unknown_kind', field: 'kind', kinds: IMPORT_KINDS.join(', ') });
  return k;
}

/**
 * The HTTP edge of an upload: the media type, the slot's release when the response is done, and
 * the body streamed to the spool. The service sees only the container, the kind and the spooled file.
 */
function uploadEdge(containers: ContainersService) {
  return {
    async check(ctx: RequestContext, req: Request): Promise<void> {
      if (!req.is('text/csv')) {
        await containers.checkExists(ctx, id(req));
        throw fail('unsupported_media_type', { reason: 'csv_expected' });
      }
      const release = await containers.admitUpload(ctx, id(req), kind(req));
      const res = req.res;
      if (!res || res.writableFinished || res.destroyed) release();
      else res.once('close', release);
    },
    /** Streams the body to a spool file; runs with no database connection held. */
    async run(req: Request): Promise<Prepared> {
      const target = containers.spoolTarget;
      const uploadId = randomUUID();
      const spooled = await spoolUpload(req, target.dir, uploadId, target.maxBytes, () => ensureFreeSpace(target.dir, target.reserveBytes));
      const value: SpooledUpload = { id: uploadId, ...spooled };
      return { value, discard: () => fs.rmSync(spooled.file, { force: true }) };
    },
  };
}

export function containerRoutes(routes: RouteTable, containers: ContainersService): void {
  routes.guarded('get', '/containers', requires('containers', 'read'), async (ctx, req) => ({
    body: await containers.list(ctx, listQuery.parse(req.query).departmentId),
  }));
  routes.guarded('post', '/containers', requires('containers', 'write'), async (ctx, req) => ({
    status: 201, body: await containers.create(ctx, createBody.parse(req.body)),
  }));
  routes.guarded('get', '/containers/:id', requires('containers', 'read'), async (ctx, req) => ({ body: await containers.get(ctx, id(req)) }));
  routes.guarded('patch', '/containers/:id', requires('containers', 'write'), async (ctx, req) => {
    const containerId = id(req);
    const { departmentId: target, reason: why, ...patch } = patchBody.parse(req.body);
    const updated = await containers.update(ctx, containerId, patch);
    // The move is its own privileged service function, which four-eyes may hold back (202).
    return target === undefined ? { body: updated } : changeResult(await containers.move(ctx, containerId, target, why));
  });
  routes.guarded('delete', '/containers/:id', requires('containers', 'write'), async (ctx, req) => {
    const containerId = id(req);
    return changeResult(await containers.remove(ctx, containerId, reasonBody.parse(req.body ?? {}).reason));
  });
  // The upload is streamed to disk between two checks, with no database connection held meanwhile.
  const upload = requires('containers', 'write', { prepare: uploadEdge(containers) });
  routes.guarded('post', '/containers/:id/imports/:kind', upload, async (ctx, req, _res, spooled) => ({
    status: 202, body: await containers.startImport(ctx, id(req), kind(req), spooled as SpooledUpload),
  }));
  routes.guarded('get', '/imports', requires('containers', 'read'), async (ctx, req) => {
    importsQuery.parse(req.query);
    return { body: await containers.activeImports(ctx) };
  });
  routes.guarded('get', '/imports/:id', requires('containers', 'read'), async (ctx, req) => ({ body: await containers.getImport(ctx, id(req)) }));
}
