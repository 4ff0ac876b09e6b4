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
  departmentId: string;
  departmentName: string;
  name: string;
  locked: boolean;
  lastImportAt: string | null;
  counts: { customerGroups: number; products: number; payments: number };
  imports?: ImportView[];
}

export function countFor(c: ContainerView, kind: ImportKind): number {
  return kind === 'customer_groups' ? c.counts.customerGroups : kind === 'products' ? c.counts.products : c.counts.payments;
}

export interface DepartmentView {
  id: string;
  name: string;
  archived: boolean;
  members: number;
  /** The user's own department (those who manage users list every department of the bank). */
  mine: boolean;
}

/** Containers in department groups, in the order the API lists them (by department, then name). */
export function byDepartment(containers: ContainerView[]): { id: string; name: string; containers: ContainerView[] }[] {
  const groups: { id: string; name: string; containers: ContainerView[] }[] = [];
  for (const c of containers) {
    let group = groups.find((g) => g.id === c.departmentId);
    if (!group) groups.push((group = { id: c.departmentId, name: c.departmentName, containers: [] }));
    group.containers.push(c);
  }
  return groups;
}

/** The container page's data, as its route reads it; `error` when the container could not be read. */
export interface ContainerModel {
  id: string;
  container: ContainerView | null;
  history: CalculationView[];
  templates: TemplateView[];
  error: unknown;
}
