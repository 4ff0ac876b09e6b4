import type { Knex } from 'knex';
import { WZ_SECTIONS, type CalculationKind } from './definitions.js';

/** Runs, templates and results: the only module besides calculation-sql.ts that speaks SQL for calculations. */

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
  name: string;
  definition: unknown;
  created_at: Date;
  updated_at: Date;
}

const RESULT_TABLE: Record<CalculationKind, string> = { segmentation: 'segmentation_results', leasing: 'leasing_results' };

// --- templates ---------------------------------------------------------------------------------

export async function listTemplates(trx: Knex.Transaction, tenantId: string): Promise<TemplateRow[]> {
  return trx('segmentation_templates').where({ tenant_id: tenantId }).orderBy('name');
}

export async function findTemplate(trx: Knex.Transaction, tenantId: string, id: string): Promise<TemplateRow | undefined> {
  return trx('segmentation_templates').where({ tenant_id: tenantId, id }).first();
}

export async function templateNameTaken(trx: Knex.Transaction, tenantId: string, name: string, exceptId?: string): Promise<boolean> {
  const q = trx('segmentation_templates').where({ tenant_id: tenantId, name });
  if (exceptId) q.whereNot({ id: exceptId });
  return Boolean(await q.first('id'));
}

export async function insertTemplate(trx: Knex.Transaction, row: { tenantId: string; id: string; name: string; definition: unknown; userId: string; at: Date }): Promise<void> {
  await trx('segmentation_templates').insert({
    tenant_id: row.tenantId, id: row.id, name: row.name, definition: JSON.stringify(row.definition), created_by: row.userId, created_at: row.at, updated_at: row.at,
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
  tenantId: string; id: string; containerId: string; kind: CalculationKind; templateId: string | null; templateName: string | null; definition: unknown; userId: string; at: Date;
}): Promise<void> {
  await trx('calculations').insert({
    tenant_id: row.tenantId, id: row.id, container_id: row.containerId, kind: row.kind, template_id: row.templateId, template_name: row.templateName,
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
export async function failUnfinishedCalculations(trx: Knex.Transaction, tenantId: string, at: Date): Promise<number> {
  return trx('calculations').where({ tenant_id: tenantId }).whereIn('status', ['queued', 'running']).update({
    status: 'failed', finished_at: at, error_code: 'interrupted',
    error_message: 'The server restarted during this calculation. No results were kept; please start it again.',
  });
}

export async function markContainerCalculated(trx: Knex.Transaction, tenantId: string, containerId: string, at: Date): Promise<void> {
  await trx('containers').where({ tenant_id: tenantId, id: containerId }).update({ last_calculated_at: at });
}

/** Holds the container for the run: an import into it waits until the run's transaction ends. */
export async function lockContainerForRun(trx: Knex.Transaction, tenantId: string, containerId: string): Promise<boolean> {
  return Boolean(await trx('containers').where({ tenant_id: tenantId, id: containerId }).forShare().first('id'));
}

/** Sets a per-transaction statement time limit (`set` takes no bind parameters; set_config does). */
export async function limitStatementTime(trx: Knex.Transaction, ms: number): Promise<void> {
  await trx.raw("select set_config('statement_timeout', ?, true)", [String(ms)]);
}

export async function countGroups(trx: Knex.Transaction, tenantId: string, containerId: string): Promise<number> {
  const row = await trx('customer_groups').where({ tenant_id: tenantId, container_id: containerId }).count<{ n: string }[]>('* as n').first();
  return Number(row?.n ?? 0);
}

// --- summaries (stored with the run when it finishes) -------------------------------------------

export interface SegmentationAggregates {
  segments: { segment_no: number; segment: string; kut: number; count: number; volume: string }[];
  matrix: { segment_no: number; branch: string; count: number }[];
}

export async function segmentationAggregates(trx: Knex.Transaction, tenantId: string, calculationId: string): Promise<SegmentationAggregates> {
  const base = () => trx('segmentation_results').where({ tenant_id: tenantId, calculation_id: calculationId });
  const segments = await base().select('segment_no', 'segment', 'kut').count<{ count: string }[]>('* as count').sum('volume as volume')
    .groupBy('segment_no', 'segment', 'kut').orderBy('segment_no');
  const matrix = await base().select('segment_no', 'branch').count('* as count').groupBy('segment_no', 'branch').orderBy(['segment_no', 'branch']);
  return {
    segments: (segments as unknown as Record<string, unknown>[]).map((r) => ({
      segment_no: Number(r.segment_no), segment: String(r.segment), kut: Number(r.kut), count: Number(r.count), volume: String(r.volume ?? '0'),
    })),
    matrix: (matrix as Record<string, unknown>[]).map((r) => ({ segment_no: Number(r.segment_no), branch: String(r.branch), count: Number(r.count) })),
  };
}

export interface LeasingAggregates {
  histogram: number[];
  classes: { class: string; count: number; potential: string }[];
  /** WZ 2008 section letter; null for groups without an industry or with a division WZ 2008 does not define. */
  bySection: { section: string | null; count: number; potential: string }[];
  byCustomerType: { customerType: number; count: number; potential: string }[];
  total: { count: number; potential: string };
}

export async function leasingAggregates(trx: Knex.Transaction, tenantId: string, calculationId: string): Promise<LeasingAggregates> {
  const base = () => trx('leasing_results').where({ tenant_id: tenantId, calculation_id: calculationId });
  const bins = (await base().select(trx.raw('least(score / 10, 9) as bin')).count('* as count').groupByRaw('1')) as { bin: number; count: string }[];
  const histogram = Array.from({ length: 10 }, () => 0);
  for (const b of bins) histogram[Number(b.bin)] = Number(b.count);
  const classes = (await base().select('class').count('* as count').sum('potential as potential').groupBy('class').orderBy('class')) as Record<string, unknown>[];
  const sections = await trx.raw(
    `select s.section,  count(*) as count, sum(r.potential) as potential
     from leasing_results r
     left join jsonb_to_recordset(?::jsonb) as s(section text, lo int, hi int) on r.division between s.lo and s.hi
     where r.tenant_id = ? and r.calculation_id = ?
     group by 1 order by 1 nulls last`,
    [JSON.stringify(WZ_SECTIONS.map(([section, lo, hi]) => ({ section, lo, hi }))), tenantId, calculationId],
  );
  const types = (await base().select('customer_type').count('* as count').sum('potential as potential').groupBy('customer_type').orderBy('customer_type')) as Record<string, unknown>[];
  const total = (await base().count('* as count').sum('potential as potential').first()) as Record<string, unknown>;
  return {
    histogram,
    classes: classes.map((r) => ({ class: String(r.class), count: Number(r.count), potential: String(r.potential ?? '0') })),
    bySection: (sections.rows as Record<string, unknown>[]).map((r) => ({ section: r.section === null ? null : String(r.section), count: Number(r.count), potential: String(r.potential ?? '0') })),
    byCustomerType: types.map((r) => ({ customerType: Number(r.customer_type), count: Number(r.count), potential: String(r.potential ?? '0') })),
    total: { count: Number(total.count), potential: String(total.potential ?? '0') },
  };
}

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

export async function resultRows(trx: Knex.Transaction, tenantId: string, calc: { id: string; kind: CalculationKind }, q: RowQuery): Promise<{ items: Record<string, unknown>[]; total: number }> {
  const table = RESULT_TABLE[calc.kind];
  const base = trx(table).where({ tenant_id: tenantId, calculation_id: calc.id });
  if (q.groupId) base.whereRaw('starts_with(group_id, ?)', [q.groupId]);
  if (q.branch) base.where({ branch: q.branch });
  if (calc.kind === 'segmentation' && q.segment) base.where({ segment: q.segment });
  if (calc.kind === 'leasing' && q.class) base.where({ class: q.class });
  const total = Number(((await base.clone().count('* as n').first()) as { n: string }).n);
  const ordered = base.clone().offset((q.page - 1) * q.pageSize).limit(q.pageSize);
  if (calc.kind === 'leasing' && q.sort !== 'group_id') ordered.orderBy([{ column: q.sort, order: 'desc' }, { column: 'group_id' }]);
  else ordered.orderBy('group_id');
  const columns = calc.kind === 'segmentation'
    ? ['group_id', 'kind', 'branch', 'segment', 'kut', 'volume']
    : ['group_id', 'customer_type', 'branch', 'industry', 'turnover', 'rating', 'part_leasing', 'part_industry', 'part_turnover', 'part_investment', 'score', 'class', 'potential'];
  return { items: await ordered.select(columns), total };
}

/** The export of DESIGN §1, built in one statement; group_id is collated "C", so this is byte order. */
export async function exportCsv(trx: Knex.Transaction, tenantId: string, calc: { id: string; kind: CalculationKind }): Promise<{ csv: string; rows: number }> {
  const sql = calc.kind === 'segmentation'
    ? `select count(*) as rows, coalesce(string_agg(group_id || ';' || segment || ';' || kut, E'\\n' order by group_id), '') as body
       from segmentation_results where tenant_id = ? and calculation_id = ?`
    : `select count(*) as rows, coalesce(string_agg(group_id || ';' || score || ';' || class || ';' || potential, E'\\n' order by group_id), '') as body
       from leasing_results where tenant_id = ? and calculation_id = ?`;
  const header = calc.kind === 'segmentation' ? 'group_id;segment;kut' : 'group_id;score;class;potential';
  const { rows } = await trx.raw(sql, [tenantId, calc.id]);
  const row = rows[0] as { rows: string; body: string };
  const count = Number(row.rows);
  return { csv: `${header}\n${row.body}${count > 0 ? '\n' : ''}`, rows: count };
}
