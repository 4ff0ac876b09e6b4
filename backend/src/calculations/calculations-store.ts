import { coreBankingDocument } from '../http/csv.js';
import { CALCULATION_ERRORS } from '../http/error-catalogue.js';
import type { Knex } from 'knex';
import { UNASSIGNED, type CalculationKind, type TemplateDefinition } from './definitions.js';
import { segmentNames } from './summaries.js';

/** Runs, templates and results: the only module besides calculation-run-store.ts that speaks SQL for calculations. */

export type CalculationStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface CalculationRow {
  id: string;
  container_id: string;
  kind: CalculationKind;
  template_id: string | null;
  template_name: string | null;
  definition: unknown;
  status: CalculationStatus;
  progress: number;
  groups_count: number;
  results_count: number;
  summary: unknown;
  error_code: string | null;
  error_message: string | null;
  created_by: string | null;
  created_by_name?: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface TemplateRow {
  id: string;
  department_id: string;
  name: string;
  definition: unknown;
  created_at: Date;
  updated_at: Date;
}

// --- templates ---------------------------------------------------------------------------------

export async function listTemplates(trx: Knex.Transaction, tenantId: string): Promise<TemplateRow[]> {
  return trx('segmentation_templates').where({ tenant_id: tenantId }).orderBy('name');
}

export async function findTemplate(trx: Knex.Transaction, tenantId: string, id: string): Promise<TemplateRow | undefined> {
  return trx('segmentation_templates').where({ tenant_id: tenantId, id }).first();
}

/** Names are unique per department. */
export async function templateNameTaken(trx: Knex.Transaction, tenantId: string, departmentId: string, name: string, exceptId?: string): Promise<boolean> {
  const q = trx('segmentation_templates').where({ tenant_id: tenantId, department_id: departmentId, name });
  if (exceptId) q.whereNot({ id: exceptId });
  return Boolean(await q.first('id'));
}

export async function insertTemplate(trx: Knex.Transaction, row: { tenantId: string; departmentId: string; id: string; name: string; definition: unknown; userId: string; at: Date }): Promise<void> {
  await trx('segmentation_templates').insert({
    tenant_id: row.tenantId, department_id: row.departmentId, id: row.id, name: row.name, definition: JSON.stringify(row.definition), created_by: row.userId, created_at: row.at, updated_at: row.at,
  });
}

export async function updateTemplate(trx: Knex.Transaction, tenantId: string, id: string, name: string, definition: unknown, at: Date): Promise<void> {
  await trx('segmentation_templates').where({ tenant_id: tenantId, id }).update({ name, definition: JSON.stringify(definition), updated_at: at });
}

export async function deleteTemplate(trx: Knex.Transaction, tenantId: string, id: string): Promise<void> {
  await trx('segmentation_templates').where({ tenant_id: tenantId, id }).delete();
}

// --- runs ---------------------------------------------------------------------------------------

export async function insertCalculation(trx: Knex.Transaction, row: {
  tenantId: string; departmentId: string; id: string; containerId: string; kind: CalculationKind; templateId: string | null; templateName: string | null; definition: unknown; userId: string; at: Date;
}): Promise<void> {
  await trx('calculations').insert({
    tenant_id: row.tenantId, department_id: row.departmentId, id: row.id, container_id: row.containerId, kind: row.kind, template_id: row.templateId, template_name: row.templateName,
    definition: JSON.stringify(row.definition), created_by: row.userId, created_at: row.at,
  });
}

function withCreator(trx: Knex.Transaction, tenantId: string) {
  // users is a platform table: only the name of a member of this tenant is joined.
  return trx('calculations as c')
    .leftJoin('users as u', function joinCreator() {
      this.on('u.id', '=', 'c.created_by').andOn('u.tenant_id', '=', 'c.tenant_id');
    })
    .where('c.tenant_id', tenantId)
    .select('c.*', 'u.name as created_by_name');
}

export async function findCalculation(trx: Knex.Transaction, tenantId: string, id: string): Promise<CalculationRow | undefined> {
  return withCreator(trx, tenantId).andWhere('c.id', id).first();
}

export async function listCalculations(trx: Knex.Transaction, tenantId: string, containerId: string, kinds: CalculationKind[]): Promise<CalculationRow[]> {
  return withCreator(trx, tenantId).andWhere('c.container_id', containerId).whereIn('c.kind', kinds).orderBy('c.created_at', 'desc');
}

/** Runs of the bank still queued or running, of the given kinds, newest first, with their container's name. */
export async function activeCalculations(trx: Knex.Transaction, tenantId: string, kinds: CalculationKind[], limit: number): Promise<(CalculationRow & { container_name: string })[]> {
  return withCreator(trx, tenantId)
    .join('containers as k', function joinContainer() {
      this.on('k.id', '=', 'c.container_id').andOn('k.tenant_id', '=', 'c.tenant_id');
    })
    .whereIn('c.kind', kinds).whereIn('c.status', ['queued', 'running'])
    .orderBy('c.created_at', 'desc').limit(limit)
    .select('k.name as container_name');
}

export async function activeCalculation(trx: Knex.Transaction, tenantId: string, containerId: string): Promise<CalculationRow | undefined> {
  return trx('calculations').where({ tenant_id: tenantId, container_id: containerId }).whereIn('status', ['queued', 'running']).first();
}

export async function countCalculations(trx: Knex.Transaction, tenantId: string, containerId: string): Promise<number> {
  const row = await trx('calculations').where({ tenant_id: tenantId, container_id: containerId }).count<{ n: string }[]>('* as n').first();
  return Number(row?.n ?? 0);
}

export async function updateCalculation(trx: Knex.Transaction, tenantId: string, id: string, fields: Record<string, unknown>): Promise<number> {
  return trx('calculations').where({ tenant_id: tenantId, id }).update(fields);
}

export async function deleteCalculation(trx: Knex.Transaction, tenantId: string, id: string): Promise<void> {
  await trx('calculations').where({ tenant_id: tenantId, id }).delete();
}

/** After a restart nothing is running: queued and running calculations become failed (their transaction was lost). */
/** Queued or running runs that nobody will finish become failed: `only` these ids, or every one `except` those that still have a job. */
export async function failUnfinishedCalculations(trx: Knex.Transaction, tenantId: string, at: Date, which: { only?: string[]; except?: Knex.Raw } = {}): Promise<number> {
  let q = trx('calculations').where({ tenant_id: tenantId }).whereIn('status', ['queued', 'running']);
  if (which.only) q = q.whereIn('id', which.only);
  if (which.except) q = q.whereRaw('id not in (?)', [which.except]);
  return q.update({
    status: 'failed', finished_at: at, error_code: 'interrupted', error_message: CALCULATION_ERRORS.interrupted.message,
  });
}

export async function markContainerCalculated(trx: Knex.Transaction, tenantId: string, containerId: string, at: Date): Promise<void> {
  await trx('containers').where({ tenant_id: tenantId, id: containerId }).update({ last_calculated_at: at });
}

/**
 * Holds the container for the run: an import into it waits until the run's transaction ends, so
 * its group count (kept by the imports) stays true. Undefined when the container is gone.
 */
export async function lockContainerForRun(trx: Knex.Transaction, tenantId: string, containerId: string): Promise<{ groups: number; departmentId: string } | undefined> {
  const row = await trx('containers').where({ tenant_id: tenantId, id: containerId }).forShare().first('groups_count', 'department_id');
  return row ? { groups: Number(row.groups_count), departmentId: row.department_id as string } : undefined;
}

/** Sets a per-transaction statement time limit (`set` takes no bind parameters; set_config does). */
export async function limitStatementTime(trx: Knex.Transaction, ms: number): Promise<void> {
  await trx.raw("select set_config('statement_timeout', ?, true)", [String(ms)]);
}

// --- result chunks ----------------------------------------------------------------------------

/*
 * Results are stored as chunks of aligned arrays (migration 202612011200): these views unnest them.
 * Element order within a chunk and chunk order are both the groups' byte order.
 */
const SEGMENTATION_ROWS = `
  select r.group_id, r.kind, r.branch, r.segment_no, r.volume, c.chunk, r.ord
  from segmentation_result_chunks c
  cross join lateral unnest(c.group_ids, c.kinds, c.branches, c.segment_nos, c.volumes) with ordinality as r(group_id, kind, branch, segment_no, volume, ord)
  where c.tenant_id = ? and c.calculation_id = ?`;

const LEASING_ROWS = `
  select r.*, c.chunk
  from leasing_result_chunks c
  cross join lateral unnest(c.group_ids, c.customer_types, c.branches, c.industries, c.divisions, c.affinities, c.turnovers, c.ratings,
    c.parts_leasing, c.parts_industry, c.parts_turnover, c.parts_investment, c.scores, c.classes, c.potentials) with ordinality
    as r(group_id, customer_type, branch, industry, division, affinity, turnover, rating,
         part_leasing, part_industry, part_turnover, part_investment, score, class, potential, ord)
  where c.tenant_id = ? and c.calculation_id = ?`;

// --- per-group rows and exports (customer-level data: callers audit every read) -------------------

export interface RowQuery {
  page: number;
  pageSize: number;
  groupId?: string | undefined;
  branch?: string | undefined;
  segment?: string | undefined;
  class?: string | undefined;
  sort: 'group_id' | 'potential' | 'score';
}

export async function resultRows(trx: Knex.Transaction, tenantId: string, calc: { id: string; kind: CalculationKind; definition: unknown }, q: RowQuery): Promise<{ items: Record<string, unknown>[]; total: number }> {
  const filters: string[] = [];
  const bindings: Knex.RawBinding[] = [tenantId, calc.id];
  if (q.groupId) {
    filters.push('starts_with(group_id, ?)');
    bindings.push(q.groupId);
  }
  if (q.branch) {
    filters.push('branch = ?');
    bindings.push(q.branch);
  }
  const names = calc.kind === 'segmentation' ? segmentNames(calc.definition as TemplateDefinition) : new Map<number, { name: string; kut: number }>();
  if (calc.kind === 'segmentation' && q.segment) {
    const numbers = [...names].filter(([, s]) => s.name === q.segment).map(([no]) => no);
    filters.push('segment_no = any(?::smallint[])');
    bindings.push(numbers);
  }
  if (calc.kind === 'leasing' && q.class) {
    filters.push('class = ?');
    bindings.push(q.class);
  }
  const offset = (q.page - 1) * q.pageSize;
  const byKey = calc.kind === 'segmentation' || q.sort === 'group_id';
  const { found, total } = filters.length === 0 && byKey
    ? await pageInKeyOrder(trx, tenantId, calc, offset, q.pageSize)
    : await searchPage(trx, tenantId, calc, filters, bindings, byKey ? 'chunk, ord' : `${q.sort === 'score' ? 'score' : 'potential'} desc, group_id`, offset, q.pageSize);
  const items = found.map((r) => {
    if (calc.kind === 'segmentation') {
      const s = names.get(Number(r.segment_no)) ?? { name: UNASSIGNED, kut: 0 };
      return { group_id: r.group_id, kind: r.kind, branch: r.branch, segment: s.name, kut: s.kut, volume: r.volume };
    }
    const { chunk: _chunk, ord: _ord, total: _total, division: _division, affinity: _affinity, ...item } = r;
    return item;
  });
  return { items, total };
}

const CHUNK_TABLE: Record<CalculationKind, string> = { segmentation: 'segmentation_result_chunks', leasing: 'leasing_result_chunks' };
const ROWS: Record<CalculationKind, string> = { segmentation: SEGMENTATION_ROWS, leasing: LEASING_ROWS };

/**
 * The plain page (no filter, key order), the one a user pages through: the chunks' sizes say
 * which one or two chunks hold it, and only those are unnested.
 */
async function pageInKeyOrder(trx: Knex.Transaction, tenantId: string, calc: { id: string; kind: CalculationKind }, offset: number, limit: number): Promise<{ found: Record<string, unknown>[]; total: number }> {
  const sizes = await trx(CHUNK_TABLE[calc.kind]).where({ tenant_id: tenantId, calculation_id: calc.id }).orderBy('chunk')
    .select<{ chunk: number; n: number }[]>('chunk', trx.raw('cardinality(group_ids) as n'));
  const total = sizes.reduce((sum, c) => sum + c.n, 0);
  const wanted: number[] = [];
  let start = 0;
  let skip = 0;
  for (const c of sizes) {
    if (start + c.n > offset && start < offset + limit) {
      if (wanted.length === 0) skip = offset - start;
      wanted.push(c.chunk);
    }
    start += c.n;
  }
  if (wanted.length === 0) return { found: [], total };
  const { rows } = await trx.raw(`select * from (${ROWS[calc.kind]}) r where chunk = any(?::int[]) order by chunk, ord offset ? limit ?`, [tenantId, calc.id, wanted, skip, limit]);
  return { found: rows as Record<string, unknown>[], total };
}

/** Filtered or re-sorted: every result is unnested, then filtered, counted and sorted. */
async function searchPage(trx: Knex.Transaction, tenantId: string, calc: { id: string; kind: CalculationKind }, filters: string[], bindings: Knex.RawBinding[], order: string, offset: number, limit: number): Promise<{ found: Record<string, unknown>[]; total: number }> {
  const where = filters.length ? `where ${filters.join(' and ')}` : '';
  const { rows } = await trx.raw(`select *, count(*) over () as total from (${ROWS[calc.kind]}) r ${where} order by ${order} offset ? limit ?`, [...bindings, offset, limit]);
  const found = rows as Record<string, unknown>[];
  if (found.length) return { found, total: Number(found[0]!.total) };
  // A page past the end has no rows to carry the count.
  const counted = await trx.raw(`select count(*) as n from (${ROWS[calc.kind]}) r ${where}`, bindings);
  return { found, total: Number((counted.rows as { n: string }[])[0]!.n) };
}

/** The export of DESIGN §1, built in one statement, in the groups' byte order. */
export async function exportCsv(trx: Knex.Transaction, tenantId: string, calc: { id: string; kind: CalculationKind; definition: unknown }): Promise<{ csv: string; rows: number }> {
  let sql: string;
  let bindings: Knex.RawBinding[];
  if (calc.kind === 'segmentation') {
    const names = [...segmentNames(calc.definition as TemplateDefinition)].map(([no, s]) => ({ no, name: s.name, kut: s.kut }));
    sql = `select count(*) as rows, coalesce(string_agg(r.group_id || ';' || s.name || ';' || s.kut, E'\\n' order by r.chunk, r.ord), '') as body
             from (${SEGMENTATION_ROWS}) r join jsonb_to_recordset(?::jsonb) as s(no int, name text, kut int) on s.no = r.segment_no`;
    bindings = [tenantId, calc.id, JSON.stringify(names)];
  } else {
    sql = `select count(*) as rows, coalesce(string_agg(r.group_id || ';' || r.score || ';' || r.class || ';' || r.potential, E'\\n' order by r.chunk, r.ord), '') as body
             from (${LEASING_ROWS}) r`;
    bindings = [tenantId, calc.id];
  }
  const header = calc.kind === 'segmentation' ? ['group_id', 'segment', 'kut'] : ['group_id', 'score', 'class', 'potential'];
  const { rows } = await trx.raw(sql, bindings);
  const row = rows[0] as { rows: string; body: string };
  const count = Number(row.rows);
  // The rows are joined in SQL with the core-banking dialect's ';' and '\n' (group ids byte-exact, see http/csv.ts).
  return { csv: coreBankingDocument(header, row.body, count), rows: count };
}
