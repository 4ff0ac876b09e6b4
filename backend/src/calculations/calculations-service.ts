import { randomUUID } from 'node:crypto';
import { fail, fromZodIssue } from '../http/error-catalogue.js';
import { HttpError } from '../http/errors.js';
import { z, ZodError } from 'zod';
import { recordRequestAudit } from '../audit/audit-store.js';
import type { RequestContext } from '../auth/context.js';
import type { Clock } from '../clock.js';
import * as containers from '../containers/containers-store.js';
import { chooseDepartment } from '../departments/departments-service.js';
import * as imports from '../imports/import-store.js';
import { holds, type Access, type Area, type Module } from '../tenancy/rights.js';
import type { CalculationQueue } from './calculation-queue.js';
import * as store from './calculations-store.js';
import type { LeasingAggregates, SegmentationAggregates } from './summaries.js';
import {
  BUILTIN_TEMPLATES, CALCULATION_KINDS, effectiveLeasingParams, templateDefinition, UNASSIGNED,
  type CalculationKind, type LeasingParams, type TemplateDefinition,
} from './definitions.js';

export interface TemplateView {
  id: string;
  /** The bank template's department; null for the shipped templates, which every department may use. */
  departmentId: string | null;
  name: string;
  builtin: boolean;
  definition: TemplateDefinition;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface CalculationView {
  id: string;
  containerId: string;
  kind: CalculationKind;
  status: store.CalculationStatus;
  progress: number;
  templateId: string | null;
  templateName: string | null;
  definition: unknown;
  groupsCount: number;
  resultsCount: number;
  error: { code: string; message: string } | null;
  createdBy: { id: string | null; name: string | null };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface StartRequest {
  containerId: string;
  kind: CalculationKind;
  templateId?: string | undefined;
  params?: unknown;
}

function calculationView(r: store.CalculationRow): CalculationView {
  return {
    id: r.id, containerId: r.container_id, kind: r.kind, status: r.status, progress: r.progress,
    templateId: r.template_id, templateName: r.template_name, definition: r.definition,
    groupsCount: r.groups_count, resultsCount: r.results_count,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    createdBy: { id: r.created_by, name: r.created_by_name ?? null },
    createdAt: r.created_at.toISOString(), startedAt: r.started_at?.toISOString() ?? null, finishedAt: r.finished_at?.toISOString() ?? null,
    durationMs: r.started_at && r.finished_at ? r.finished_at.getTime() - r.started_at.getTime() : null,
  };
}

function builtinView(b: (typeof BUILTIN_TEMPLATES)[number]): TemplateView {
  return { id: b.id, departmentId: null, name: b.definition.name, builtin: true, definition: b.definition, createdAt: null, updatedAt: null };
}

/** A template body may name its department beside the definition's fields. */
function withDepartment(body: unknown): { departmentId: string | undefined; definition: unknown } {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('departmentId' in body)) return { departmentId: undefined, definition: body };
  const { departmentId, ...definition } = body as Record<string, unknown>;
  const parsed = validated('departmentId', () => z.string().uuid('must be a department id').parse(departmentId));
  return { departmentId: parsed, definition };
}

function templateView(r: store.TemplateRow): TemplateView {
  return { id: r.id, departmentId: r.department_id, name: r.name, builtin: false, definition: r.definition as TemplateDefinition, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() };
}

/** Validation errors of a nested object name the field from the request body's top. */
function validated<T>(prefix: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof ZodError)) throw err;
    throw fromZodIssue(err.issues[0], [prefix]);
  }
}

/** Segmentation templates and calculation runs of one bank (DESIGN §1, §6). */
export class CalculationsService {
  constructor(private readonly d: { clock: Clock; queue: CalculationQueue }) {}

  private audit(ctx: RequestContext, type: string, subject: { type: string; id: string }, details: Record<string, string | number | boolean | null> = {}) {
    return recordRequestAudit(ctx, { type, subjectType: subject.type, subjectId: subject.id, details }, this.d.clock.now());
  }

  // --- templates ---------------------------------------------------------------------------------

  async listTemplates(ctx: RequestContext): Promise<TemplateView[]> {
    return [...BUILTIN_TEMPLATES.map(builtinView), ...(await store.listTemplates(ctx.trx, ctx.tenantId)).map(templateView)];
  }

  async getTemplate(ctx: RequestContext, id: string): Promise<TemplateView> {
    const builtin = BUILTIN_TEMPLATES.find((b) => b.id === id);
    if (builtin) return builtinView(builtin);
    const row = await store.findTemplate(ctx.trx, ctx.tenantId, id);
    if (!row) throw fail('not_found', { reason: 'template' });
    return templateView(row);
  }

  async createTemplate(ctx: RequestContext, body: unknown): Promise<TemplateView> {
    const { departmentId: requested, definition: raw } = withDepartment(body);
    const definition = validated('template', () => templateDefinition.parse(raw));
    const departmentId = await chooseDepartment(ctx, requested);
    if (await store.templateNameTaken(ctx.trx, ctx.tenantId, departmentId, definition.name)) throw fail('template_name_taken');
    const id = randomUUID();
    await store.insertTemplate(ctx.trx, { tenantId: ctx.tenantId, departmentId, id, name: definition.name, definition, userId: ctx.userId, at: this.d.clock.now() });
    await this.audit(ctx, 'template.created', { type: 'template', id }, { segments: definition.segments.length });
    return this.getTemplate(ctx, id);
  }

  async updateTemplate(ctx: RequestContext, id: string, body: unknown): Promise<TemplateView> {
    const row = await this.ownTemplate(ctx, id);
    // A template stays in its department; a departmentId sent back unchanged is accepted.
    const { departmentId: requested, definition: raw } = withDepartment(body);
    if (requested !== undefined && requested !== row.department_id) throw fail('invalid_input', { reason: 'department_fixed', field: 'departmentId' });
    const definition = validated('template', () => templateDefinition.parse(raw));
    if (await store.templateNameTaken(ctx.trx, ctx.tenantId, row.department_id, definition.name, id)) throw fail('template_name_taken');
    await store.updateTemplate(ctx.trx, ctx.tenantId, id, definition.name, definition, this.d.clock.now());
    await this.audit(ctx, 'template.updated', { type: 'template', id }, { segments: definition.segments.length });
    return this.getTemplate(ctx, id);
  }

  /** Finished runs keep their own copy of the template, so deleting it changes no result. */
  async deleteTemplate(ctx: RequestContext, id: string): Promise<void> {
    await this.ownTemplate(ctx, id);
    await store.deleteTemplate(ctx.trx, ctx.tenantId, id);
    await this.audit(ctx, 'template.deleted', { type: 'template', id });
  }

  private async ownTemplate(ctx: RequestContext, id: string): Promise<store.TemplateRow> {
    if (BUILTIN_TEMPLATES.some((b) => b.id === id)) throw fail('builtin_template');
    const row = await store.findTemplate(ctx.trx, ctx.tenantId, id);
    if (!row) throw fail('not_found', { reason: 'template' });
    return row;
  }

  // --- runs --------------------------------------------------------------------------------------

  /** The right and module a calculation of this id needs (the guard checks and audits them). */
  async requirementFor(ctx: RequestContext, id: string, access: Access): Promise<{ area: Area; access: Access; module: Module }> {
    const row = await store.findCalculation(ctx.trx, ctx.tenantId, id);
    if (!row) throw fail('not_found', { reason: 'calculation' });
    return { area: row.kind, access, module: row.kind };
  }

  async start(ctx: RequestContext, req: StartRequest): Promise<{ id: string }> {
    const container = await containers.findContainer(ctx.trx, ctx.tenantId, req.containerId);
    if (!container) throw fail('not_found', { reason: 'container' });
    let definition: TemplateDefinition | LeasingParams;
    let template: { id: string; name: string } | undefined;
    if (req.kind === 'segmentation') {
      if (req.params !== undefined) throw fail('invalid_input', { reason: 'params_not_allowed', field: 'params' });
      if (!req.templateId) throw fail('invalid_input', { reason: 'template_required', field: 'templateId' });
      const chosen = await this.getTemplate(ctx, req.templateId).catch((err: unknown) => {
        if (err instanceof HttpError && err.code === 'not_found') throw fail('invalid_input', { reason: 'unknown_template', field: 'templateId' });
        throw err;
      });
      definition = chosen.definition;
      template = { id: chosen.id, name: chosen.name };
    } else {
      if (req.templateId !== undefined) throw fail('invalid_input', { reason: 'template_not_allowed', field: 'templateId' });
      definition = validated('params', () => effectiveLeasingParams(req.params));
    }
    if (container.groups_count === 0) throw fail('no_data');
    if (await imports.activeImport(ctx.trx, ctx.tenantId, req.containerId)) throw fail('import_running');
    if (await store.activeCalculation(ctx.trx, ctx.tenantId, req.containerId)) throw this.alreadyRunning();
    const id = randomUUID();
    try {
      // A savepoint, so a lost race on the one-active-run index leaves the request's transaction usable.
      await ctx.trx.transaction((sp) => store.insertCalculation(sp, {
        tenantId: ctx.tenantId, departmentId: container.department_id, id, containerId: req.containerId, kind: req.kind, templateId: template?.id ?? null, templateName: template?.name ?? null,
        definition, userId: ctx.userId, at: this.d.clock.now(),
      }));
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw this.alreadyRunning();
      throw err;
    }
    await this.audit(ctx, 'calculation.started', { type: 'container', id: req.containerId }, { calculation: id, kind: req.kind, template: template?.id ?? null });
    const job = { tenantId: ctx.tenantId, calculationId: id, containerId: req.containerId, kind: req.kind, definition, userId: ctx.userId };
    // The job commits with the row (or neither does).
    await this.d.queue.enqueue(ctx.trx, job);
    return { id };
  }

  private alreadyRunning(): HttpError {
    return fail('calculation_running');
  }

  /** A container's runs of the kinds this user may see, newest first. */
  async list(ctx: RequestContext, containerId: string): Promise<CalculationView[]> {
    if (!(await containers.findContainer(ctx.trx, ctx.tenantId, containerId))) throw fail('not_found', { reason: 'container' });
    const kinds = CALCULATION_KINDS.filter((k) => ctx.modules.has(k) && holds(ctx.rights, k, 'read'));
    return (await store.listCalculations(ctx.trx, ctx.tenantId, containerId, kinds)).map(calculationView);
  }

  /** What runs in the bank now, of the kinds the caller may read, as the database says. */
  async listActive(ctx: RequestContext): Promise<(CalculationView & { containerName: string })[]> {
    const kinds = CALCULATION_KINDS.filter((k) => ctx.modules.has(k) && holds(ctx.rights, k, 'read'));
    if (kinds.length === 0) return [];
    const rows = await store.activeCalculations(ctx.trx, ctx.tenantId, kinds, 50);
    return rows.map((r) => ({ ...calculationView(r), containerName: r.container_name }));
  }

  async get(ctx: RequestContext, id: string): Promise<CalculationView> {
    return calculationView(await this.row(ctx, id));
  }

  private async row(ctx: RequestContext, id: string): Promise<store.CalculationRow> {
    const row = await store.findCalculation(ctx.trx, ctx.tenantId, id);
    if (!row) throw fail('not_found', { reason: 'calculation' });
    return row;
  }

  private async finished(ctx: RequestContext, id: string): Promise<store.CalculationRow> {
    const row = await this.row(ctx, id);
    if (row.status !== 'succeeded') throw fail('not_finished');
    return row;
  }

  /** The aggregates behind the charts; no customer-level data, so no export right needed. */
  async summary(ctx: RequestContext, id: string): Promise<unknown> {
    const row = await this.finished(ctx, id);
    if (row.kind === 'leasing') return { kind: row.kind, ...(row.summary as LeasingAggregates) };
    // Every segment of the template is listed, empty ones too, in template order, then "unassigned".
    const stored = row.summary as SegmentationAggregates;
    const template = row.definition as TemplateDefinition;
    const bySegment = new Map(stored.segments.map((s) => [s.segment_no, s]));
    const segments = [...template.segments.map((s, i) => ({ no: i + 1, name: s.name, kut: s.kut })), { no: 0, name: UNASSIGNED, kut: 0 }]
      .map((s) => ({ segment: s.name, kut: s.kut, count: bySegment.get(s.no)?.count ?? 0, volume: bySegment.get(s.no)?.volume ?? '0' }));
    const names = new Map([...template.segments.map((s, i) => [i + 1, s.name] as const), [0, UNASSIGNED] as const]);
    const matrix = stored.matrix.map((m) => ({ segment: names.get(m.segment_no) ?? UNASSIGNED, branch: m.branch, count: m.count }));
    return { kind: row.kind, total: row.results_count, segments, branches: [...new Set(stored.matrix.map((m) => m.branch))].sort(), matrix };
  }

  /** Per-group results: customer-level data, so every page read is audited (who, which run, how many rows). */
  async rows(ctx: RequestContext, id: string, q: store.RowQuery): Promise<{ items: Record<string, unknown>[]; total: number; page: number; pageSize: number }> {
    const row = await this.finished(ctx, id);
    const { items, total } = await store.resultRows(ctx.trx, ctx.tenantId, row, q);
    await this.audit(ctx, 'calculation.rows_viewed', { type: 'calculation', id }, { kind: row.kind, rows: items.length, page: q.page });
    return { items, total, page: q.page, pageSize: q.pageSize };
  }

  async exportCsv(ctx: RequestContext, id: string): Promise<{ csv: string; filename: string }> {
    const row = await this.finished(ctx, id);
    const { csv, rows } = await store.exportCsv(ctx.trx, ctx.tenantId, row);
    await this.audit(ctx, 'calculation.exported', { type: 'calculation', id }, { kind: row.kind, rows });
    return { csv, filename: `${row.kind}-${row.finished_at!.toISOString().slice(0, 10)}-${id.slice(0, 8)}.csv` };
  }

  async remove(ctx: RequestContext, id: string): Promise<void> {
    const row = await this.row(ctx, id);
    if (row.status === 'queued' || row.status === 'running') throw this.alreadyRunning();
    await store.deleteCalculation(ctx.trx, ctx.tenantId, id);
    await this.audit(ctx, 'calculation.deleted', { type: 'container', id: row.container_id }, { calculation: id, kind: row.kind, results: row.results_count });
  }
}
