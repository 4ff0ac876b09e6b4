import type { CalculationView, TemplateView } from 'frontend/utils/calculations';

export type ImportKind = 'customer_groups' | 'products' | 'payments';
export const IMPORT_KINDS: ImportKind[] = ['customer_groups', 'products', 'payments'];

export interface ImportErrorView {
  line: number | null;
  column: string | null;
  code: string;
  message: string;
  reason?: string;
  params?: Record<string, string | number>;
}

export interface ImportView {
  id: string;
  kind: ImportKind;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  bytesTotal: number;
  bytesProcessed: number;
  rowsProcessed: number;
  rowsImported: number;
  errorCount: number;
  errors: ImportErrorView[];
  finishedAt: string | null;
}

export interface ContainerView {
  id: string;
  name: string;
  locked: boolean;
  lastImportAt: string | null;
  counts: { customerGroups: number; products: number; payments: number };
  imports?: ImportView[];
}

export function countFor(c: ContainerView, kind: ImportKind): number {
  return kind === 'customer_groups' ? c.counts.customerGroups : kind === 'products' ? c.counts.products : c.counts.payments;
}

/** The container page's data, as its route reads it; `error` when the container could not be read. */
export interface ContainerModel {
  id: string;
  container: ContainerView | null;
  history: CalculationView[];
  templates: TemplateView[];
  error: unknown;
}
