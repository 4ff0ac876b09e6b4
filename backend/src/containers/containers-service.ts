import { randomUUID } from 'node:crypto';
import { fail } from '../http/error-catalogue.js';
import type { Knex } from 'knex';
import { recordRequestAudit } from '../audit/audit-store.js';
import { activeCalculation, countCalculations } from '../calculations/calculations-store.js';
import type { RequestContext } from '../auth/context.js';
import type { Clock } from '../clock.js';
import type { ImportError, ImportKind } from '../imports/formats.js';
import type { ImportQueue } from '../imports/import-queue.js';
import * as imports from '../imports/import-store.js';
import { bounded, MAX_REPORTED_ERRORS } from '../imports/import-runner.js';
import { ensureFreeSpace } from '../imports/spool.js';
import { chooseDepartment } from '../departments/departments-service.js';
import { findDepartment } from '../departments/departments-store.js';
import type { FourEyes, Pending } from '../approvals/four-eyes.js';
import * as store from './containers-store.js';
import type { ContainerRow } from './containers-store.js';
import { DEFAULT_UPLOAD_LIMITS, UploadSlots, type UploadLimits } from './upload-slots.js';

export interface ContainerView {
  id: string;
  departmentId: string;
  departmentName: string;
  name: string;
  locked: boolean;
  createdAt: string;
  lastImportAt: string | null;
  lastCalculatedAt: string | null;
  counts: { customerGroups: number; products: number; payments: number };
}

/** An upload streamed to the spool by the HTTP edge. */
export interface SpooledUpload {
  id: string;
  file: string;
  bytes: number;
}

export interface ImportView {
  id: string;
  containerId: string;
  kind: ImportKind;
  status: string;
  bytesTotal: number;
  bytesProcessed: number;
  rowsProcessed: number;
  rowsImported: number;
  errorCount: number;
  errors: ImportError[];
  createdAt: string;
  finishedAt: string | null;
}

function containerView(r: ContainerRow): ContainerView {
  return {
    id: r.id, departmentId: r.department_id, departmentName: r.department_name, name: r.name, locked: r.locked, createdAt: r.created_at.toISOString(),
    lastImportAt: r.last_import_at?.toISOString() ?? null, lastCalculatedAt: r.last_calculated_at?.toISOString() ?? null,
    counts: { customerGroups: r.groups_count, products: r.products_count, payments: r.payments_count },
  };
}

export function importView(r: imports.ImportRow): ImportView {
  return {
    id: r.id, containerId: r.container_id, kind: r.kind, status: r.status, bytesTotal: r.bytes_total, bytesProcessed: r.bytes_processed,
    rowsProcessed: r.rows_processed, rowsImported: r.rows_imported, errorCount: r.error_count,
    // Bounded again on the way out: rows stored before the bound existed may hold long echoes.
    errors: r.errors.slice(0, MAX_REPORTED_ERRORS).map(bounded),
    createdAt: r.created_at.toISOString(), finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

/** At most this many running jobs are listed (a bank runs a handful at once). */
const ACTIVE_LIMIT = 50;

/** Data containers of one bank and the imports that fill them (DESIGN §1). */
export class ContainersService {
  private readonly slots: UploadSlots;

  constructor(private readonly d: { clock: Clock; queue: ImportQueue; spoolDir: string; importMaxBytes: number; uploadLimits?: UploadLimits | undefined; fourEyes: FourEyes }) {
    this.slots = new UploadSlots(this.limits);
    d.fourEyes.register('container.remove', (ctx, p: { containerId: string }) => this.remove(ctx, p.containerId));
    d.fourEyes.register('container.move', (ctx, p: { containerId: string; departmentId: string }) => this.move(ctx, p.containerId, p.departmentId));
  }

  private get limits(): UploadLimits {
    return this.d.uploadLimits ?? DEFAULT_UPLOAD_LIMITS;
  }

  private audit(ctx: RequestContext, type: string, containerId: string, details: Record<string, string | number | boolean | null> = {}) {
    return recordRequestAudit(ctx, { type, subjectType: 'container', subjectId: containerId, details }, this.d.clock.now());
  }

  private async row(trx: Knex.Transaction, tenantId: string, id: string): Promise<ContainerRow> {
    const row = await store.findContainer(trx, tenantId, id);
    if (!row) throw fail('not_found', { reason: 'container' });
    return row;
  }

  /** 404 unless the container exists for this request (in its bank and departments). */
  async checkExists(ctx: RequestContext, id: string): Promise<void> {
    await this.row(ctx.trx, ctx.tenantId, id);
  }

  async list(ctx: RequestContext, departmentId?: string): Promise<ContainerView[]> {
    return (await store.listContainers(ctx.trx, ctx.tenantId, departmentId)).map(containerView);
  }

  async get(ctx: RequestContext, id: string): Promise<ContainerView & { imports: ImportView[] }> {
    const row = await this.row(ctx.trx, ctx.tenantId, id);
    const latest = await store.latestImports<imports.ImportRow>(ctx.trx, ctx.tenantId, id);
    return { ...containerView(row), imports: latest.map(importView) };
  }

  async create(ctx: RequestContext, input: { name: string; departmentId?: string | undefined }): Promise<ContainerView> {
    const { name } = input;
    const departmentId = await chooseDepartment(ctx, input.departmentId);
    if (await store.containerNameTaken(ctx.trx, ctx.tenantId, departmentId, name)) throw fail('container_name_taken');
    const id = randomUUID();
    await store.insertContainer(ctx.trx, { tenantId: ctx.tenantId, departmentId, id, name, userId: ctx.userId, at: this.d.clock.now() });
    await this.audit(ctx, 'container.created', id, { department: departmentId });
    return containerView(await this.row(ctx.trx, ctx.tenantId, id));
  }

  async update(ctx: RequestContext, id: string, patch: { name?: string | undefined; locked?: boolean | undefined }): Promise<ContainerView> {
    const row = await this.row(ctx.trx, ctx.tenantId, id);
    if (patch.name !== undefined && patch.name !== row.name) {
      if (await store.containerNameTaken(ctx.trx, ctx.tenantId, row.department_id, patch.name)) throw fail('container_name_taken');
      await store.updateContainer(ctx.trx, ctx.tenantId, id, { name: patch.name });
      await this.audit(ctx, 'container.renamed', id);
    }
    if (patch.locked !== undefined && patch.locked !== row.locked) {
      await store.updateContainer(ctx.trx, ctx.tenantId, id, { locked: patch.locked });
      await this.audit(ctx, patch.locked ? 'container.locked' : 'container.unlocked', id);
    }
    return containerView(await this.row(ctx.trx, ctx.tenantId, id));
  }

  /**
   * Moves a container with all its data, imports and runs to another department: a privileged
   * change, which waits for a second person holding containers:write where four-eyes is on (that
   * person applies it, so they too must belong to both departments). The mover must belong to
   * both departments — row-level security refuses the move otherwise — and nothing may be
   * running on the container.
   */
  async move(ctx: RequestContext, id: string, departmentId: string, reason?: string): Promise<ContainerView | Pending> {
    const row = await this.row(ctx.trx, ctx.tenantId, id);
    if (row.department_id === departmentId) return containerView(row);
    // Applied for a proposer, the request's departments are those both people share (four-eyes).
    if (!ctx.departmentIds.includes(row.department_id)) throw fail('not_found', { reason: 'container' });
    const target = await chooseDepartment(ctx, departmentId);
    if (row.locked) throw fail('container_locked', { reason: 'move' });
    if (await imports.activeImport(ctx.trx, ctx.tenantId, id)) throw fail('import_running');
    if (await activeCalculation(ctx.trx, ctx.tenantId, id)) throw fail('calculation_running');
    if (await store.containerNameTaken(ctx.trx, ctx.tenantId, target, row.name)) throw fail('container_name_taken');
    const pending = await this.d.fourEyes.propose(ctx, {
      kind: 'container.move', right: 'containers:write', reason, subjectId: id,
      payload: { containerId: id, departmentId: target }, summary: { container: row.name, from: row.department_name, to: (await findDepartment(ctx.trx, ctx.tenantId, target))?.name ?? target },
    });
    if (pending) return pending;
    await store.updateContainer(ctx.trx, ctx.tenantId, id, { department_id: target });
    await this.audit(ctx, 'container.moved', id, { from: row.department_id, to: target });
    return containerView(await this.row(ctx.trx, ctx.tenantId, id));
  }

  /**
   * A container with results is deleted only under four-eyes: proposed here, deleted with its
   * results once a second person holding containers:write approves. Otherwise results go first.
   */
  async remove(ctx: RequestContext, id: string, reason?: string): Promise<void | Pending> {
    const row = await this.row(ctx.trx, ctx.tenantId, id);
    if (row.locked) throw fail('container_locked', { reason: 'delete' });
    if (await imports.activeImport(ctx.trx, ctx.tenantId, id)) throw fail('import_running');
    const results = await countCalculations(ctx.trx, ctx.tenantId, id);
    if (results && !ctx.applyingApproval) {
      const pending = await this.d.fourEyes.propose(ctx, {
        kind: 'container.remove', right: 'containers:write', reason, subjectId: id, payload: { containerId: id }, summary: { container: row.name, calculations: results },
      });
      if (pending) return pending;
      throw fail('has_results');
    }
    if (results && (await activeCalculation(ctx.trx, ctx.tenantId, id))) throw fail('calculation_running');
    await store.deleteContainer(ctx.trx, ctx.tenantId, id);
    await this.audit(ctx, 'container.deleted', id, { groups: row.groups_count });
  }

  /** Everything that can refuse an import, checked before the upload is read and again after. */
  async checkImport(ctx: RequestContext, containerId: string, kind: ImportKind): Promise<void> {
    const row = await this.row(ctx.trx, ctx.tenantId, containerId);
    if (row.locked) throw fail('container_locked', { reason: 'import' });
    if (await imports.activeImport(ctx.trx, ctx.tenantId, containerId)) throw fail('import_running');
    if (await activeCalculation(ctx.trx, ctx.tenantId, containerId)) throw fail('calculation_running');
    if (kind !== 'customer_groups' && row.groups_count === 0) {
      throw fail('import_order');
    }
  }

  /**
   * The first check of an upload, before a byte of its body is read: everything checkImport
   * refuses, free disk space and a slot (one upload per container, bounded per user and per bank).
   * Returns the slot's release, which the HTTP edge calls once the request has been answered.
   */
  async admitUpload(ctx: RequestContext, containerId: string, kind: ImportKind): Promise<() => void> {
    await this.checkImport(ctx, containerId, kind);
    ensureFreeSpace(this.d.spoolDir, this.limits.spoolReserveBytes);
    return this.slots.take({ tenantId: ctx.tenantId, userId: ctx.userId, containerId }, () => fail('import_running'));
  }

  /** Where and how large an upload may be spooled (the HTTP edge streams it there). */
  get spoolTarget(): { dir: string; maxBytes: number; reserveBytes: number } {
    return { dir: this.d.spoolDir, maxBytes: this.d.importMaxBytes, reserveBytes: this.limits.spoolReserveBytes };
  }

  /** Records the queued import for a spooled file and hands it to the background queue. */
  async startImport(ctx: RequestContext, containerId: string, kind: ImportKind, spooled: SpooledUpload): Promise<{ id: string }> {
    await this.checkImport(ctx, containerId, kind);
    const { id } = spooled;
    const row = await this.row(ctx.trx, ctx.tenantId, containerId);
    await imports.insertImport(ctx.trx, { tenantId: ctx.tenantId, departmentId: row.department_id, id, containerId, kind, bytesTotal: spooled.bytes, userId: ctx.userId, at: this.d.clock.now() });
    await this.audit(ctx, 'import.started', containerId, { import: id, kind, bytes: spooled.bytes });
    const job = { tenantId: ctx.tenantId, importId: id, containerId, kind, file: spooled.file, userId: ctx.userId };
    // The job commits with the row (or neither does).
    await this.d.queue.enqueue(ctx.trx, job);
    return { id };
  }

  /** What imports run in the bank now, as the database says (the overview asks on every visit). */
  async activeImports(ctx: RequestContext): Promise<(ImportView & { containerName: string })[]> {
    const rows = await store.activeImports<imports.ImportRow>(ctx.trx, ctx.tenantId, ACTIVE_LIMIT);
    return rows.map((r) => ({ ...importView(r), containerName: r.container_name }));
  }

  async getImport(ctx: RequestContext, id: string): Promise<ImportView> {
    const row = await imports.findImport(ctx.trx, ctx.tenantId, id);
    if (!row) throw fail('not_found', { reason: 'import' });
    return importView(row);
  }
}
