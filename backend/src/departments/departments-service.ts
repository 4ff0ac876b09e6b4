import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-store.js';
import type { RequestContext } from '../auth/context.js';
import type { Clock } from '../clock.js';
import { fail } from '../http/error-catalogue.js';
import { holds } from '../tenancy/rights.js';
import * as store from './departments-store.js';

export interface DepartmentView {
  id: string;
  name: string;
  archived: boolean;
  createdAt: string;
  /** Members of the department (counted for those who manage users). */
  members: number;
  /** The caller's request may see this department's data. */
  mine: boolean;
}

function view(r: store.DepartmentRow, ctx: RequestContext): DepartmentView {
  return { id: r.id, name: r.name, archived: r.archived_at !== null, createdAt: r.created_at.toISOString(), members: r.members, mine: ctx.departmentIds.includes(r.id) };
}

/**
 * Where a new container or template goes: the department named, which must be one of the
 * request's and not archived, or, when none is named, the user's only active department.
 */
export async function chooseDepartment(ctx: RequestContext, requested: string | undefined): Promise<string> {
  const active = new Set(await store.activeDepartmentIds(ctx.trx, ctx.tenantId));
  if (requested !== undefined) {
    if (!ctx.departmentIds.includes(requested)) throw fail('invalid_input', { reason: 'not_your_department', field: 'departmentId' });
    if (!active.has(requested)) throw fail('department_archived');
    return requested;
  }
  const mine = ctx.departmentIds.filter((id) => active.has(id));
  if (mine.length === 1) return mine[0]!;
  if (mine.length === 0) throw fail('no_department');
  throw fail('invalid_input', { reason: 'department_required', field: 'departmentId' });
}

/** Bank admins create, rename and archive departments; members see their own (issue 18). */
export class DepartmentsService {
  constructor(private readonly d: { clock: Clock }) {}

  private audit(ctx: RequestContext, type: string, id: string, details: Record<string, string | number | boolean | null> = {}) {
    return recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type, subjectType: 'department', subjectId: id, details, requestId: ctx.requestId, ip: ctx.ip,
    }, this.d.clock.now());
  }

  /** Those who manage users see every department of the bank; everyone else the departments of their request. */
  async list(ctx: RequestContext): Promise<DepartmentView[]> {
    const all = holds(ctx.rights, 'users', 'read');
    return (await store.listDepartments(ctx.trx, ctx.tenantId, all ? undefined : ctx.departmentIds)).map((r) => view(r, ctx));
  }

  async create(ctx: RequestContext, name: string): Promise<DepartmentView> {
    if (await store.departmentNameTaken(ctx.trx, ctx.tenantId, name)) throw fail('department_name_taken');
    const id = randomUUID();
    await store.insertDepartment(ctx.trx, { tenantId: ctx.tenantId, id, name, at: this.d.clock.now() });
    await this.audit(ctx, 'department.created', id);
    return view((await store.findDepartment(ctx.trx, ctx.tenantId, id))!, ctx);
  }

  async update(ctx: RequestContext, id: string, patch: { name?: string | undefined; archived?: boolean | undefined }): Promise<DepartmentView> {
    const row = await store.findDepartment(ctx.trx, ctx.tenantId, id);
    if (!row) throw fail('not_found', { reason: 'department' });
    if (patch.name !== undefined && patch.name !== row.name) {
      if (await store.departmentNameTaken(ctx.trx, ctx.tenantId, patch.name, id)) throw fail('department_name_taken');
      await store.updateDepartment(ctx.trx, ctx.tenantId, id, { name: patch.name });
      await this.audit(ctx, 'department.renamed', id);
    }
    if (patch.archived !== undefined && patch.archived !== (row.archived_at !== null)) {
      // An archived department keeps its data and members; nothing new joins it.
      await store.updateDepartment(ctx.trx, ctx.tenantId, id, { archived_at: patch.archived ? this.d.clock.now() : null });
      await this.audit(ctx, patch.archived ? 'department.archived' : 'department.restored', id);
    }
    return view((await store.findDepartment(ctx.trx, ctx.tenantId, id))!, ctx);
  }

  /** Checks the departments a member is to belong to: all of this bank, not archived unless kept. */
  async assertAssignable(ctx: RequestContext, departmentIds: readonly string[], kept: readonly string[] = []): Promise<void> {
    const active = new Set(await store.activeDepartmentIds(ctx.trx, ctx.tenantId));
    for (const id of departmentIds) {
      if (active.has(id) || kept.includes(id)) continue;
      if (await store.findDepartment(ctx.trx, ctx.tenantId, id)) throw fail('department_archived');
      throw fail('invalid_input', { reason: 'unknown_department', field: 'departmentIds' });
    }
  }
}
