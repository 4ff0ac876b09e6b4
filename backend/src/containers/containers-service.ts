import { randomUUID } from 'node:crypto';
import { fail } from '../http/error-catalogue.js';
import fs from 'node:fs';
import type { Request } from 'express';
import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-store.js';
import { activeCalculation, countCalculations } from '../calculations/calculations-store.js';
import type { RequestContext } from '../auth/context.js';
import type { Clock } from '../clock.js';
import type { Prepared } from '../http/route-table.js';
import type { ImportError, ImportKind } from '../imports/formats.js';
import type { ImportQueue } from '../imports/import-queue.js';
import * as imports from '../imports/import-store.js';
import { bounded, MAX_REPORTED_ERRORS } from '../imports/import-runner.js';
import { ensureFreeSpace, spoolUpload } from '../imports/spool.js';
import { DEFAULT_UPLOAD_LIMITS, UploadSlots, type UploadLimits } from './upload-slots.js';

export interface ContainerView {
  id: string;
  name: string;
  locked: boolean;
  createdAt: string;
  lastImportAt: string | null;
  lastCalculatedAt: string | null;
  counts: { customerGroups: number; products: number; payments: number };
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

interface ContainerRow {
  id: string; name: string; locked: boolean; created_at: Date; last_import_at: Date | null; last_calculated_at: Date | null;
  groups_count: number; products_count: number; payments_count: number;
}

function containerView(r: ContainerRow): ContainerView {
  return {
    id: r.id, name: r.name, locked: r.locked, createdAt: r.created_at.toISOString(),
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

/** Data containers of one bank and the imports that fill them (DESIGN §1). */
export class ContainersService {
  private readonly slots: UploadSlots;

  constructor(private readonly d: { clock: Clock; queue: ImportQueue; spoolDir: string; importMaxBytes: number; uploadLimits?: UploadLimits | undefined }) {
    this.slots = new UploadSlots(this.limits);
  }

  private get limits(): UploadLimits {
    return this.d.uploadLimits ?? DEFAULT_UPLOAD_LIMITS;
  }

  private audit(ctx: RequestContext, type: string, containerId: string, details: Record<string, string | number | boolean | null> = {}) {
    return recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type, subjectType: 'container', subjectId: containerId, details, requestId: ctx.requestId, ip: ctx.ip,
    }, this.d.clock.now());
  }

  private async row(trx: Knex.Transaction, tenantId: string, id: string): Promise<ContainerRow> {
    const row = (await trx('containers').where({ tenant_id: tenantId, id }).first()) as ContainerRow | undefined;
    if (!row) throw fail('not_found', { reason: 'container' });
    return row;
  }

  async list(ctx: RequestContext): Promise<ContainerView[]> {
    const rows = (await ctx.trx('containers').where({ tenant_id: ctx.tenantId }).orderBy('name')) as ContainerRow[];
    return rows.map(containerView);
  }

  async get(ctx: RequestContext, id: string): Promise<ContainerView & { imports: ImportView[] }> {
    const row = await this.row(ctx.trx, ctx.tenantId, id);
    const latest = (await ctx.trx('imports').where({ tenant_id: ctx.tenantId, container_id: id })
      .distinctOn('kind').orderBy([{ column: 'kind' }, { column: 'created_at', order: 'desc' }])) as imports.ImportRow[];
    return { ...containerView(row), imports: latest.map(importView) };
  }

  async create(ctx: RequestContext, name: string): Promise<ContainerView> {
    if (await ctx.trx('containers').where({ tenant_id: ctx.tenantId, name }).first('id')) throw fail('container_name_taken');
    const id = randomUUID();
    await ctx.trx('containers').insert({ tenant_id: ctx.tenantId, id, name, created_by: ctx.userId, created_at: this.d.clock.now() });
    await this.audit(ctx, 'container.created', id);
    return containerView(await this.row(ctx.trx, ctx.tenantId, id));
  }

  async update(ctx: RequestContext, id: string, patch: { name?: string | undefined; locked?: boolean | undefined }): Promise<ContainerView> {
    const row = await this.row(ctx.trx, ctx.tenantId, id);
    if (patch.name !== undefined && patch.name !== row.name) {
      if (await ctx.trx('containers').where({ tenant_id: ctx.tenantId, name: patch.name }).first('id')) throw fail('container_name_taken');
      await ctx.trx('containers').where({ tenant_id: ctx.tenantId, id }).update({ name: patch.name });
      await this.audit(ctx, 'container.renamed', id);
    }
    if (patch.locked !== undefined && patch.locked !== row.locked) {
      await ctx.trx('containers').where({ tenant_id: ctx.tenantId, id }).update({ locked: patch.locked });
      await this.audit(ctx, patch.locked ? 'container.locked' : 'container.unlocked', id);
    }
    return containerView(await this.row(ctx.trx, ctx.tenantId, id));
  }

  async remove(ctx: RequestContext, id: string): Promise<void> {
    const row = await this.row(ctx.trx, ctx.tenantId, id);
    if (row.locked) throw fail('container_locked', { reason: 'delete' });
    if (await imports.activeImport(ctx.trx, ctx.tenantId, id)) throw fail('import_running');
    if (await countCalculations(ctx.trx, ctx.tenantId, id)) throw fail('has_results');
    await ctx.trx('containers').where({ tenant_id: ctx.tenantId, id }).delete();
    await this.audit(ctx, 'container.deleted', id, { groups: row.groups_count });
  }

  /** Everything that can refuse an import, checked before the upload is read and again after. */
  async checkImport(ctx: RequestContext, containerId: string, kind: ImportKind, req: Request): Promise<void> {
    const row = await this.row(ctx.trx, ctx.tenantId, containerId);
    if (!req.is('text/csv')) throw fail('unsupported_media_type', { reason: 'csv_expected' });
    if (row.locked) throw fail('container_locked', { reason: 'import' });
    if (await imports.activeImport(ctx.trx, ctx.tenantId, containerId)) throw fail('import_running');
    if (await activeCalculation(ctx.trx, ctx.tenantId, containerId)) throw fail('calculation_running');
    if (kind !== 'customer_groups' && row.groups_count === 0) {
      throw fail('import_order');
    }
  }

  /**
   * The first check of an upload, before a byte of its body is read: everything checkImport
   * refuses, a slot (one upload per container, bounded per user and per bank) and free disk space.
   * The slot is given back when the request has been answered.
   */
  async admitUpload(ctx: RequestContext, containerId: string, kind: ImportKind, req: Request): Promise<void> {
    await this.checkImport(ctx, containerId, kind, req);
    ensureFreeSpace(this.d.spoolDir, this.limits.spoolReserveBytes);
    const release = this.slots.take({ tenantId: ctx.tenantId, userId: ctx.userId, containerId }, () => fail('import_running'));
    const res = req.res;
    if (!res || res.writableFinished || res.destroyed) release();
    else res.once('close', release);
  }

  /** Streams the body to a spool file; runs with no database connection held. */
  async spool(req: Request): Promise<Prepared> {
    const id = randomUUID();
    const spooled = await spoolUpload(req, this.d.spoolDir, id, this.d.importMaxBytes, () => ensureFreeSpace(this.d.spoolDir, this.limits.spoolReserveBytes));
    return { value: { id, ...spooled }, discard: () => fs.rmSync(spooled.file, { force: true }) };
  }

  /** Records the queued import for a spooled file and hands it to the background queue. */
  async startImport(ctx: RequestContext, containerId: string, kind: ImportKind, req: Request, spooled: { id: string; file: string; bytes: number }): Promise<{ id: string }> {
    await this.checkImport(ctx, containerId, kind, req);
    const { id } = spooled;
    await imports.insertImport(ctx.trx, { tenantId: ctx.tenantId, id, containerId, kind, bytesTotal: spooled.bytes, userId: ctx.userId, at: this.d.clock.now() });
    await this.audit(ctx, 'import.started', containerId, { import: id, kind, bytes: spooled.bytes });
    const job = { tenantId: ctx.tenantId, importId: id, containerId, kind, file: spooled.file, userId: ctx.userId };
    // Only a committed import row may be picked up by the job.
    ctx.afterCommit(() => this.d.queue.enqueue(job));
    return { id };
  }

  async getImport(ctx: RequestContext, id: string): Promise<ImportView> {
    const row = await imports.findImport(ctx.trx, ctx.tenantId, id);
    if (!row) throw fail('not_found', { reason: 'import' });
    return importView(row);
  }
}
