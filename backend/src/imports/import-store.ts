import type { Knex } from 'knex';
import { importError } from '../http/error-catalogue.js';
import type { ImportError, ImportKind } from './formats.js';

export interface ImportRow {
  id: string;
  container_id: string;
  kind: ImportKind;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  bytes_total: number;
  bytes_processed: number;
  rows_processed: number;
  rows_imported: number;
  error_count: number;
  errors: ImportError[];
  created_by: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export async function insertImport(trx: Knex.Transaction, row: { tenantId: string; departmentId: string; id: string; containerId: string; kind: ImportKind; bytesTotal: number; userId: string; at: Date }): Promise<void> {
  await trx('imports').insert({
    tenant_id: row.tenantId, department_id: row.departmentId, id: row.id, container_id: row.containerId, kind: row.kind, bytes_total: row.bytesTotal, created_by: row.userId, created_at: row.at,
  });
}

export async function findImport(trx: Knex.Transaction, tenantId: string, id: string): Promise<ImportRow | undefined> {
  return trx('imports').where({ tenant_id: tenantId, id }).first();
}

export async function activeImport(trx: Knex.Transaction, tenantId: string, containerId: string): Promise<ImportRow | undefined> {
  return trx('imports').where({ tenant_id: tenantId, container_id: containerId }).whereIn('status', ['queued', 'running']).first();
}

export async function updateImport(trx: Knex.Transaction, tenantId: string, id: string, fields: Record<string, unknown>): Promise<void> {
  await trx('imports').where({ tenant_id: tenantId, id }).update(fields);
}

/**
 * Queued or running imports that nobody will finish become failed (their instance stopped, its
 * spool file with it): `only` these ids, or every one `except` those that still have a job.
 */
export async function failUnfinished(trx: Knex.Transaction, tenantId: string, at: Date, which: { only?: string[]; except?: Knex.Raw } = {}): Promise<number> {
  let q = trx('imports').where({ tenant_id: tenantId }).whereIn('status', ['queued', 'running']);
  if (which.only) q = q.whereIn('id', which.only);
  if (which.except) q = q.whereRaw('id not in (?)', [which.except]);
  return q.update({
    status: 'failed', finished_at: at, error_count: 1,
    errors: JSON.stringify([importError('interrupted', { line: null, column: null })]),
  });
}
