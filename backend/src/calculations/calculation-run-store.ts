import type { Knex } from 'knex';
import { PRODUCT_GROUPS } from '../imports/formats.js';
import { WZ_SECTIONS, type LeasingParams, type Segment, type TemplateDefinition } from './definitions.js';

/**
 * The two calculations as set-based statements inside PostgreSQL (DESIGN §1). Each statement
 * works on one slice of a container's customer groups (a group_id range) and writes that slice's
 * results as one chunk row (aligned arrays in group order), so a run can report progress between
 * slices; all slices of a run share one transaction.
 *
 * Every value is a binding. The segmentation's shape follows the template: one CASE branch per
 * segment and one sum per distinct set of volume product groups, each built from a fixed fragment
 * of SQL with placeholders, so the planner sees the rules as constants (a CASE over bound values
 * is evaluated once per group and stops at the first match; the former lateral search over a
 * segment table ran a sub-plan per group).
 */

export interface Slice {
  /** Inclusive lower bound ('' = from the first group). */
  from: string;
  /** Exclusive upper bound; null = to the last group. */
  to: string | null;
}

export interface RunTarget {
  tenantId: string;
  /** The container's department, which its results carry (the key to the run includes it). */
  departmentId: string;
  containerId: string;
  calculationId: string;
}

/**
 * Where the next slice starts: the group `size` places after `from` in the key's (byte) order, or
 * null when fewer remain. An index-only scan of one slice's keys, not a numbering of all groups.
 */
export async function nextCut(trx: Knex.Transaction, tenantId: string, containerId: string, from: string, size: number): Promise<string | null> {
  const { rows } = await trx.raw(
    'select group_id from customer_groups where tenant_id = ? and container_id = ? and group_id >= ? order by group_id offset ? limit 1',
    [tenantId, containerId, from, size],
  );
  return (rows as { group_id: string }[])[0]?.group_id ?? null;
}

/**
 * The partial aggregates of a run's slices (per segment and branch; per score bin, class, section
 * and customer type), summed into the summary at the end: one pass over the results instead of
 * two. Transaction-local, so it is gone with the run's transaction whatever its outcome.
 */
export async function createPartsTable(trx: Knex.Transaction): Promise<void> {
  await trx.raw('create temp table calculation_parts (dimension text not null, a text, b text, count bigint not null, amount numeric) on commit drop');
}

export interface Part {
  dimension: string;
  a: string | null;
  b: string | null;
  count: number;
  amount: string;
  /** 'key': one (a, b); 'a': summed over b; 'all': summed over the whole dimension. */
  level: 'key' | 'a' | 'all';
}

/** The parts summed per key, per first key and per dimension (in SQL, so amounts stay exact decimals). */
export async function summedParts(trx: Knex.Transaction): Promise<Part[]> {
  const { rows } = await trx.raw(
    `select dimension, a, b, case grouping(a, b) when 0 then 'key' when 1 then 'a' else 'all' end as level,
            sum(count) as count, coalesce(sum(amount), 0) as amount
       from calculation_parts group by grouping sets ((dimension, a, b), (dimension, a), (dimension))`,
  );
  return (rows as { dimension: string; a: string | null; b: string | null; level: Part['level']; count: string; amount: string }[])
    .map((r) => ({ dimension: r.dimension, a: r.a, b: r.b, count: Number(r.count), amount: String(r.amount), level: r.level }));
}

/**
 * Both tables are read in key order within a slice: index range scans, a running aggregate per
 * group and a merge join, with nothing to hash or sort. Right after an import PostgreSQL's
 * estimates still describe an empty container and lead it to bitmap scans and hash joins, which
 * cost a third more; these two settings hold only until the run's slices are written.
 */
export async function preferOrderedPlans(trx: Knex.Transaction): Promise<() => Promise<void>> {
  const { rows } = await trx.raw("select current_setting('enable_hashjoin') as hashjoin, current_setting('enable_bitmapscan') as bitmapscan");
  const before = rows[0] as { hashjoin: string; bitmapscan: string };
  await trx.raw("select set_config('enable_hashjoin', 'off', true), set_config('enable_bitmapscan', 'off', true)");
  return async () => {
    await trx.raw("select set_config('enable_hashjoin', ?, true), set_config('enable_bitmapscan', ?, true)", [before.hashjoin, before.bitmapscan]);
  };
}

/** A fragment of SQL and its bindings, in order. */
interface Sql {
  text: string;
  bindings: Knex.RawBinding[];
}

const join = (parts: Sql[], separator: string): Sql => ({ text: parts.map((p) => p.text).join(separator), bindings: parts.flatMap((p) => p.bindings) });

/** The distinct product-group sets of the template's volume rules, as sorted lists. */
function volumeSets(template: TemplateDefinition): string[][] {
  const seen = new Map<string, string[]>();
  for (const s of template.segments) {
    const groups = s.rules.volumeGroups;
    if (!groups || groups.length === PRODUCT_GROUPS.length) continue;
    const sorted = [...groups].sort();
    seen.set(sorted.join(','), sorted);
  }
  return [...seen.values()];
}

/** The volume a segment's rules look at: its product groups' balances, or all of them. */
function volumeOf(s: Segment, sets: string[][]): string {
  const groups = s.rules.volumeGroups;
  if (!groups || groups.length === PRODUCT_GROUPS.length) return 'coalesce(h.total, 0)';
  const key = [...groups].sort().join(',');
  return `coalesce(h.v${sets.findIndex((set) => set.join(',') === key)}, 0)`;
}

/** DESIGN §1: kind, type condition, then every rule the segment has. */
function segmentCondition(s: Segment, sets: string[][]): Sql {
  const parts: Sql[] = [];
  const r = s.rules;
  const volume = volumeOf(s, sets);
  if (s.kind !== 'ALL') parts.push({ text: 'g.kind = ?', bindings: [s.kind] });
  if (s.type === 'negative') parts.push({ text: 'g.negative_flag', bindings: [] });
  if (s.type === 'no_products') parts.push({ text: 'h.group_id is null', bindings: [] });
  if (s.type === 'inactive') parts.push({ text: 'coalesce(h.all_zero, false)', bindings: [] });
  // An unknown age (-1) fails any age rule; an empty turnover fails any turnover rule; an empty rating passes.
  if (r.ageMin !== undefined) parts.push({ text: '(g.age <> -1 and g.age >= ?)', bindings: [r.ageMin] });
  if (r.ageMax !== undefined) parts.push({ text: '(g.age <> -1 and g.age < ?)', bindings: [r.ageMax] });
  if (r.volumeMin !== undefined) parts.push({ text: `${volume} >= ?::numeric`, bindings: [String(r.volumeMin)] });
  if (r.volumeMax !== undefined) parts.push({ text: `${volume} < ?::numeric`, bindings: [String(r.volumeMax)] });
  if (r.turnoverMin !== undefined) parts.push({ text: 'coalesce(g.turnover >= ?::numeric, false)', bindings: [String(r.turnoverMin)] });
  if (r.turnoverMax !== undefined) parts.push({ text: 'coalesce(g.turnover < ?::numeric, false)', bindings: [String(r.turnoverMax)] });
  if (r.ratingMax !== undefined) parts.push({ text: '(g.rating is null or g.rating <= ?)', bindings: [r.ratingMax] });
  return parts.length ? join(parts, ' and ') : { text: 'true', bindings: [] };
}

/** The products of one slice, aggregated per group: what the segment rules need. */
function holdings(sets: string[][]): Sql {
  const sums = sets.map((set, i) => ({ text: `, sum(p.balance) filter (where p.product_group = any(?::text[])) as v${i}`, bindings: [set] }));
  return {
    text: `select p.group_id, bool_and(p.balance = 0) as all_zero, sum(p.balance) as total${sums.map((s) => s.text).join('')}
      from products p
      where p.tenant_id = ? and p.container_id = ? and p.group_id >= ? and (?::text is null or p.group_id < ?)
      group by p.group_id`,
    bindings: sums.flatMap((s) => s.bindings),
  };
}

/**
 * One slice of a segmentation: every group gets the number of the first matching segment (1 =
 * the template's first; 0 = unassigned) and the volume that segment looks at (unassigned: all
 * products). Returns the number of groups written.
 */
export async function segmentSlice(trx: Knex.Transaction, run: RunTarget, template: TemplateDefinition, slice: Slice, chunk: number): Promise<number> {
  const { tenantId: t, containerId: c, calculationId } = run;
  const { from, to } = slice;
  const sets = volumeSets(template);
  const conditions = template.segments.map((s) => segmentCondition(s, sets));
  const segmentNo = {
    text: `case ${conditions.map((cond, i) => `when ${cond.text} then ${i + 1}`).join(' ')} else 0 end`,
    bindings: conditions.flatMap((cond) => cond.bindings),
  };
  const volumes = template.segments.map((s, i) => `when ${i + 1} then ${volumeOf(s, sets)}`).join(' ');
  const h = holdings(sets);
  const sql = `
    with chunk as (
      insert into segmentation_result_chunks (tenant_id, calculation_id, chunk, department_id, group_ids, kinds, branches, segment_nos, volumes)
      select ?, ?, ?, ?::uuid, array_agg(r.group_id order by r.group_id), array_agg(r.kind order by r.group_id), array_agg(r.branch order by r.group_id),
             array_agg(r.segment_no order by r.group_id), array_agg(r.volume order by r.group_id)
      from (
        select g.group_id, g.kind, g.branch, s.segment_no::smallint as segment_no,
               case s.segment_no ${volumes} else coalesce(h.total, 0) end as volume
        from customer_groups g
        left join (${h.text}) h on h.group_id = g.group_id
        cross join lateral (select ${segmentNo.text} as segment_no offset 0) s
        where g.tenant_id = ? and g.container_id = ? and g.group_id >= ? and (?::text is null or g.group_id < ?)
      ) r
      having count(*) > 0
      returning segment_nos, branches, volumes
    ), parts as (
      insert into calculation_parts (dimension, a, b, count, amount)
      select 'segment', u.segment_no::text, u.branch, count(*), sum(u.volume)
      from chunk cross join lateral unnest(chunk.segment_nos, chunk.branches, chunk.volumes) as u(segment_no, branch, volume)
      group by u.segment_no, u.branch
      returning count
    )
    select coalesce(sum(count), 0) as n from parts`;
  const bindings = [t, calculationId, chunk, run.departmentId, ...h.bindings, t, c, from, to, to, ...segmentNo.bindings, t, c, from, to, to];
  const result = await trx.raw(sql, bindings);
  return Number((result as { rows: { n: string }[] }).rows[0]?.n ?? 0);
}

/** Parameters flattened for jsonb_to_record; decimals as text so they reach numeric unchanged. */
function leasingRecord(p: LeasingParams): Record<string, unknown> {
  const w = p.weights;
  return {
    rating_max: p.ratingMax,
    w_leasing_other: w.leasingOther, w_high: w.industryHigh, w_medium: w.industryMedium, w_other: w.industryOther,
    w_t0: w.turnover[0], w_t1: w.turnover[1], w_t2: w.turnover[2], w_t3: w.turnover[3], w_investment: w.investmentLoan,
    b0: String(p.turnoverBounds[0]), b1: String(p.turnoverBounds[1]), b2: String(p.turnoverBounds[2]),
    c_a: p.classBounds.A, c_b: p.classBounds.B, c_c: p.classBounds.C,
    r_high: String(p.potentialRates.high), r_medium: String(p.potentialRates.medium), r_other: String(p.potentialRates.other),
  };
}

/*
 * Potential = turnover × rate × score / 100, written as × 0.01 because numeric multiplication is
 * exact while numeric division rounds to a chosen scale; round(numeric) rounds half away from zero.
 * The division (first two digits of the WZ code) is computed once per group behind `offset 0`:
 * referenced by every band test, it would otherwise be re-evaluated for each.
 */
const LEASING = `
with prm as materialized (
  select * from jsonb_to_record(?::jsonb) as x(
    rating_max int, w_leasing_other int, w_high int, w_medium int, w_other int,
    w_t0 int, w_t1 int, w_t2 int, w_t3 int, w_investment int, b0 numeric, b1 numeric, b2 numeric,
    c_a int, c_b int, c_c int, r_high numeric, r_medium numeric, r_other numeric)
),
eligible as (
  select g.group_id, g.customer_type, g.branch, g.industry, g.turnover, g.rating,
    case when g.industry ~ '^[0-9]{2}' then substr(g.industry, 1, 2)::smallint end as division
  from customer_groups g cross join prm
  where g.tenant_id = ? and g.container_id = ? and g.group_id >= ? and (?::text is null or g.group_id < ?)
    and g.kind = 'FK' and not g.negative_flag and (g.rating is null or g.rating <= prm.rating_max)
  offset 0
),
leasing_elsewhere as (
  select distinct group_id from payments
  where tenant_id = ? and container_id = ? and group_id >= ? and (?::text is null or group_id < ?)
    and category = 'LEASING_OTHER' and sum_12m > 0
),
investment_loans as (
  select distinct group_id from products
  where tenant_id = ? and container_id = ? and group_id >= ? and (?::text is null or group_id < ?)
    and product_group = 'INVESTMENT_LOAN' and balance <> 0
),
scored as (
  select e.*, a.affinity,
    case when le.group_id is not null then prm.w_leasing_other else 0 end as part_leasing,
    case a.affinity when 'high' then prm.w_high when 'medium' then prm.w_medium else prm.w_other end as part_industry,
    case when coalesce(e.turnover, 0) < prm.b0 then prm.w_t0
         when coalesce(e.turnover, 0) < prm.b1 then prm.w_t1
         when coalesce(e.turnover, 0) < prm.b2 then prm.w_t2
         else prm.w_t3 end as part_turnover,
    case when il.group_id is not null then prm.w_investment else 0 end as part_investment,
    case a.affinity when 'high' then prm.r_high when 'medium' then prm.r_medium else prm.r_other end as rate
  from eligible e
  cross join prm
  left join leasing_elsewhere le on le.group_id = e.group_id
  left join investment_loans il on il.group_id = e.group_id
  cross join lateral (select case
      when e.division between 1 and 3 or e.division between 10 and 33 or e.division between 41 and 43 or e.division between 49 and 53 then 'high'
      when e.division between 45 and 47 or e.division between 69 and 82 or e.division between 86 and 88 then 'medium'
      else 'other' end as affinity) a
),
final as (
  select s.*, t.score,
    case when t.score >= prm.c_a then 'A' when t.score >= prm.c_b then 'B' when t.score >= prm.c_c then 'C' else 'D' end as class,
    round(coalesce(s.turnover, 0) * s.rate * t.score * 0.01) as potential
  from scored s
  cross join prm
  cross join lateral (select s.part_leasing + s.part_industry + s.part_turnover + s.part_investment as score) t
),
chunk as (
  insert into leasing_result_chunks (tenant_id, calculation_id, chunk, department_id, group_ids, customer_types, branches, industries, divisions, affinities, turnovers, ratings,
    parts_leasing, parts_industry, parts_turnover, parts_investment, scores, classes, potentials)
  select ?, ?, ?, ?::uuid, array_agg(group_id order by group_id), array_agg(customer_type order by group_id), array_agg(branch order by group_id),
    array_agg(industry order by group_id), array_agg(division order by group_id), array_agg(affinity order by group_id), array_agg(turnover order by group_id),
    array_agg(rating order by group_id), array_agg(part_leasing order by group_id), array_agg(part_industry order by group_id),
    array_agg(part_turnover order by group_id), array_agg(part_investment order by group_id), array_agg(score order by group_id),
    array_agg(class order by group_id), array_agg(potential order by group_id)
  from final
  having count(*) > 0
  returning scores, classes, divisions, customer_types, potentials
),
sections as materialized (
  -- sections.of[division + 1] is the division's WZ 2008 section letter, null where WZ defines none.
  select array(select jsonb_array_elements_text(?::jsonb)) as of
),
parts as (
  insert into calculation_parts (dimension, a, count, amount)
  select case when grouping(least(u.score / 10, 9)) = 0 then 'bin' when grouping(u.class) = 0 then 'class'
              when grouping(sections.of[u.division + 1]) = 0 then 'section' else 'customer_type' end,
         coalesce(least(u.score / 10, 9)::text, u.class, sections.of[u.division + 1], u.customer_type::text),
         count(*), sum(u.potential)
  from chunk
  cross join lateral unnest(chunk.scores, chunk.classes, chunk.divisions, chunk.customer_types, chunk.potentials) as u(score, class, division, customer_type, potential)
  cross join sections
  group by grouping sets ((least(u.score / 10, 9)), (u.class), (sections.of[u.division + 1]), (u.customer_type))
  returning dimension, count
)
select coalesce(sum(count) filter (where dimension = 'class'), 0) as n from parts`;

/** Index d + 1 holds the WZ 2008 section letter of division d (00…99), null where WZ defines none. */
const SECTION_OF_DIVISION: (string | null)[] = Array.from({ length: 100 }, (_, d) => WZ_SECTIONS.find(([, lo, hi]) => d >= lo && d <= hi)?.[0] ?? null);

/** One slice of the leasing calculation: eligible business groups only. Returns the number of results written. */
export async function leasingSlice(trx: Knex.Transaction, run: RunTarget, params: LeasingParams, slice: Slice, chunk: number): Promise<number> {
  const { tenantId: t, containerId: c, calculationId } = run;
  const { from, to } = slice;
  const result = await trx.raw(LEASING, [
    JSON.stringify(leasingRecord(params)), t, c, from, to, to, t, c, from, to, to, t, c, from, to, to, t, calculationId, chunk, run.departmentId,
    JSON.stringify(SECTION_OF_DIVISION),
  ]);
  return Number((result as { rows: { n: string }[] }).rows[0]?.n ?? 0);
}
