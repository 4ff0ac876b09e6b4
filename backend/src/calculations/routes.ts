import { z } from 'zod';
import { pathId as id } from '../http/params.js';
import { requires, type RouteTable } from '../http/route-table.js';
import type { Access } from '../tenancy/rights.js';
import type { CalculationsService } from './calculations-service.js';
import { CALCULATION_KINDS } from './definitions.js';

export const startBody = z.object({
  containerId: z.string().uuid('must be a container id'),
  kind: z.enum(CALCULATION_KINDS),
  templateId: z.string().uuid('must be a template id').optional(),
  params: z.unknown().optional(),
}).strict();

/** A container's history, or (`status=active`) what runs in the whole bank now. */
export const listQuery = z.object({
  containerId: z.string().uuid('must be a container id').optional(),
  status: z.literal('active', { message: 'must be active' }).optional(),
}).refine((q) => q.containerId !== undefined || q.status !== undefined, { message: 'is required', path: ['containerId'] });

export const rowsQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
  groupId: z.string().max(64).optional(),
  branch: z.string().max(16).optional(),
  segment: z.string().max(80).optional(),
  class: z.enum(['A', 'B', 'C', 'D']).optional(),
  sort: z.enum(['group_id', 'potential', 'score']).default('group_id'),
});

export function calculationRoutes(routes: RouteTable, calculations: CalculationsService): void {
  const templates = (access: Access) => requires('segmentation', access, { module: 'segmentation' });
  routes.guarded('get', '/segmentation/templates', templates('read'), async (ctx) => ({ body: await calculations.listTemplates(ctx) }));
  routes.guarded('post', '/segmentation/templates', templates('write'), async (ctx, req) => ({ status: 201, body: await calculations.createTemplate(ctx, req.body) }));
  routes.guarded('get', '/segmentation/templates/:id', templates('read'), async (ctx, req) => ({ body: await calculations.getTemplate(ctx, id(req)) }));
  routes.guarded('put', '/segmentation/templates/:id', templates('write'), async (ctx, req) => {
    const templateId = id(req);
    return { body: await calculations.updateTemplate(ctx, templateId, req.body) };
  });
  routes.guarded('delete', '/segmentation/templates/:id', templates('write'), async (ctx, req) => {
    await calculations.deleteTemplate(ctx, id(req));
  });

  // The kind decides the right and module: from the body when starting, from the run afterwards.
  const start = requires('containers', 'read', {
    byObject: async (_ctx, req) => {
      const kind = startBody.parse(req.body).kind;
      return { area: kind, access: 'write', module: kind };
    },
  });
  routes.guarded('post', '/calculations', start, async (ctx, req) => ({ status: 202, body: await calculations.start(ctx, startBody.parse(req.body)) }));
  routes.guarded('get', '/calculations', requires('containers', 'read'), async (ctx, req) => {
    const q = listQuery.parse(req.query);
    if (q.containerId === undefined) return { body: await calculations.listActive(ctx) };
    const history = await calculations.list(ctx, q.containerId);
    return { body: q.status ? history.filter((c) => c.status === 'queued' || c.status === 'running') : history };
  });
  const byKind = (area: 'containers' | 'export', access: Access, kindAccess: Access) => requires(area, access, {
    byObject: (ctx, req) => calculations.requirementFor(ctx, id(req), kindAccess),
  });
  routes.guarded('get', '/calculations/:id', byKind('containers', 'read', 'read'), async (ctx, req) => ({ body: await calculations.get(ctx, id(req)) }));
  routes.guarded('get', '/calculations/:id/summary', byKind('containers', 'read', 'read'), async (ctx, req) => ({ body: await calculations.summary(ctx, id(req)) }));
  routes.guarded('get', '/calculations/:id/rows', byKind('export', 'read', 'read'), async (ctx, req) => {
    const calculationId = id(req);
    return { body: await calculations.rows(ctx, calculationId, rowsQuery.parse(req.query)) };
  });
  routes.guarded('get', '/calculations/:id/export.csv', byKind('export', 'read', 'read'), async (ctx, req, res) => {
    const { csv, filename } = await calculations.exportCsv(ctx, id(req));
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.set('Content-Disposition', `attachment; filename="${filename}"`);
    return { raw: csv };
  });
  routes.guarded('delete', '/calculations/:id', byKind('containers', 'write', 'write'), async (ctx, req) => {
    await calculations.remove(ctx, id(req));
  });
}
