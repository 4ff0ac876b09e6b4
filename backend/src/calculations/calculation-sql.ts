import type { Knex } from 'knex';
import type { LeasingParams, TemplateDefinition } from './definitions.js';

/**
 * The two calculations as set-based statements inside PostgreSQL (DESIGN §1). Each statement
 * works on one slice of a container's customer groups (a group_id range), so a run can report
 * progress between slices; all slices of a run share one transaction.
 * Every value is a binding; the template and the parameters travel as one JSON binding each.
 */

export interface Slice {
  /** Inclusive lower bound ('' = from the first group). */
  from: string;
  /** Exclusive upper bound; null = to the last group. */
  to: string | null;
}

export interface RunTarget {
  tenantId: string;
  containerId: string;
  calculationId: string;
}

/** Slices of about `size` groups each, cut at group_ids in the key's order. */
export async function slices(trx: Knex.Transaction, tenantId: string, containerId: string, size: number): Promise<Slice[]> {
  const { rows } = await trx.raw(
    `select group_id from (
       select group_id, row_number() over (order by group_id) as n
       from customer_groups where tenant_id = ? and container_id = ?
     ) numbered where n % ? = 1 and n > 1 order by group_id`,
    [tenantId, containerId, size],
  );
  const cuts = (rows as { group_id: string }[]).map((r) => r.group_id);
  const bounds = ['', ...cuts];
  return bounds.map((from, i) => ({ from, to: cuts[i] ?? null }));
}

/** The template's segments as rows for jsonb_to_recordset: position, rules and one flag per product group. */
function segmentRows(template: TemplateDefinition): Record<string, unknown>[] {
  return template.segments.map((s, i) => {
    const r = s.rules;
    const inVolume = (group: string) => r.volumeGroups === undefined || (r.volumeGroups as string[]).includes(group);
    return {
      ord: i + 1, name: s.name, kut: s.kut, kind: s.kind, type: s.type,
      age_min: r.ageMin ?? null, age_max: r.ageMax ?? null,
      volume_min: r.volumeMin ?? null, volume_max: r.volumeMax ?? null,
      turnover_min: r.turnoverMin ?? null, turnover_max: r.turnoverMax ?? null,
      rating_max: r.ratingMax ?? null,
      giro: inVolume('GIRO'), savings: inVolume('SAVINGS'), securities: inVolume('SECURITIES'), building_savings: inVolume('BUILDING_SAVINGS'),
      insurance: inVolume('INSURANCE'), loan: inVolume('LOAN'), investment_loan: inVolume('INVESTMENT_LOAN'), leasing: inVolume('LEASING'),
    };
  });
}

const SEGMENTATION = `
insert into segmentation_results (tenant_id, calculation_id, group_id, kind, branch, segment_no, segment, kut, volume)
with segs as materialized (
  select * from jsonb_to_recordset(?::jsonb) as s(
    ord int, name text, kut int, kind text, type text, age_min int, age_max int,
    volume_min numeric, volume_max numeric, turnover_min numeric, turnover_max numeric, rating_max int,
    giro boolean, savings boolean, securities boolean, building_savings boolean,
    insurance boolean, loan boolean, investment_loan boolean, leasing boolean)
),
holdings as (
  select p.group_id, bool_and(p.balance = 0) as all_zero, sum(p.balance) as total,
    coalesce(sum(p.balance) filter (where p.product_group = 'GIRO'), 0) as giro,
    coalesce(sum(p.balance) filter (where p.product_group = 'SAVINGS'), 0) as savings,
    coalesce(sum(p.balance) filter (where p.product_group = 'SECURITIES'), 0) as securities,
    coalesce(sum(p.balance) filter (where p.product_group = 'BUILDING_SAVINGS'), 0) as building_savings,
    coalesce(sum(p.balance) filter (where p.product_group = 'INSURANCE'), 0) as insurance,
    coalesce(sum(p.balance) filter (where p.product_group = 'LOAN'), 0) as loan,
    coalesce(sum(p.balance) filter (where p.product_group = 'INVESTMENT_LOAN'), 0) as investment_loan,
    coalesce(sum(p.balance) filter (where p.product_group = 'LEASING'), 0) as leasing
  from products p
  where p.tenant_id = ? and p.container_id = ? and p.group_id >= ? and (?::text is null or p.group_id < ?)
  group by p.group_id
)
select g.tenant_id, ?, g.group_id, g.kind, g.branch,
  coalesce(m.ord, 0), coalesce(m.name, 'unassigned'), coalesce(m.kut, 0), coalesce(m.volume, h.total, 0)
from customer_groups g
left join holdings h on h.group_id = g.group_id
left join lateral (
  select s.ord, s.name, s.kut, v.volume
  from segs s
  cross join lateral (select
      case when s.giro then coalesce(h.giro, 0) else 0 end
    + case when s.savings then coalesce(h.savings, 0) else 0 end
    + case when s.securities then coalesce(h.securities, 0) else 0 end
    + case when s.building_savings then coalesce(h.building_savings, 0) else 0 end
    + case when s.insurance then coalesce(h.insurance, 0) else 0 end
    + case when s.loan then coalesce(h.loan, 0) else 0 end
    + case when s.investment_loan then coalesce(h.investment_loan, 0) else 0 end
    + case when s.leasing then coalesce(h.leasing, 0) else 0 end as volume) v
  where (s.kind = 'ALL' or s.kind = g.kind)
    and case s.type
          when 'negative' then g.negative_flag
          when 'no_products' then h.group_id is null
          when 'inactive' then coalesce(h.all_zero, false)
          else true end
    and (s.age_min is null or (g.age <> -1 and g.age >= s.age_min))
    and (s.age_max is null or (g.age <> -1 and g.age < s.age_max))
    and (s.volume_min is null or v.volume >= s.volume_min)
    and (s.volume_max is null or v.volume < s.volume_max)
    and (s.turnover_min is null or coalesce(g.turnover >= s.turnover_min, false))
    and (s.turnover_max is null or coalesce(g.turnover < s.turnover_max, false))
    and (s.rating_max is null or g.rating is null or g.rating <= s.rating_max)
  order by s.ord
  limit 1
) m on true
where g.tenant_id = ? and g.container_id = ? and g.group_id >= ? and (?::text is null or g.group_id < ?)`;

export async function segmentSlice(trx: Knex.Transaction, run: RunTarget, template: TemplateDefinition, slice: Slice): Promise<number> {
  const { tenantId: t, containerId: c, calculationId } = run;
  const { from, to } = slice;
  const result = await trx.raw(SEGMENTATION, [JSON.stringify(segmentRows(template)), t, c, from, to, to, calculationId, t, c, from, to, to]);
  return (result as { rowCount: number }).rowCount;
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
 */
const LEASING = `
insert into leasing_results (tenant_id, calculation_id, group_id, customer_type, branch, industry, division, affinity, turnover, rating,
  part_leasing, part_industry, part_turnover, part_investment, score, class, potential)
with prm as materialized (
  select * from jsonb_to_record(?::jsonb) as x(
    rating_max int, w_leasing_other int, w_high int, w_medium int, w_other int,
    w_t0 int, w_t1 int, w_t2 int, w_t3 int, w_investment int, b0 numeric, b1 numeric, b2 numeric,
    c_a int, c_b int, c_c int, r_high numeric, r_medium numeric, r_other numeric)
),
leasing_elsewhere as materialized (
  select distinct group_id from payments
  where tenant_id = ? and container_id = ? and group_id >= ? and (?::text is null or group_id < ?)
    and category = 'LEASING_OTHER' and sum_12m > 0
),
investment_loans as materialized (
  select distinct group_id from products
  where tenant_id = ? and container_id = ? and group_id >= ? and (?::text is null or group_id < ?)
    and product_group = 'INVESTMENT_LOAN' and balance <> 0
),
scored as materialized (
  select g.tenant_id, g.group_id, g.customer_type, g.branch, g.industry, d.division, a.affinity, g.turnover, g.rating,
    case when le.group_id is not null then prm.w_leasing_other else 0 end as part_leasing,
    case a.affinity when 'high' then prm.w_high when 'medium' then prm.w_medium else prm.w_other end as part_industry,
    case when coalesce(g.turnover, 0) < prm.b0 then prm.w_t0
         when coalesce(g.turnover, 0) < prm.b1 then prm.w_t1
         when coalesce(g.turnover, 0) < prm.b2 then prm.w_t2
         else prm.w_t3 end as part_turnover,
    case when il.group_id is not null then prm.w_investment else 0 end as part_investment,
    case a.affinity when 'high' then prm.r_high when 'medium' then prm.r_medium else prm.r_other end as rate
  from customer_groups g
  cross join prm
  left join leasing_elsewhere le on le.group_id = g.group_id
  left join investment_loans il on il.group_id = g.group_id
  cross join lateral (select case when g.industry ~ '^[0-9]{2}' then substr(g.industry, 1, 2)::smallint end as division) d
  cross join lateral (select case
      when d.division between 1 and 3 or d.division between 10 and 33 or d.division between 41 and 43 or d.division between 49 and 53 then 'high'
      when d.division between 45 and 47 or d.division between 69 and 82 or d.division between 86 and 88 then 'medium'
      else 'other' end as affinity) a
  where g.tenant_id = ? and g.container_id = ? and g.group_id >= ? and (?::text is null or g.group_id < ?)
    and g.kind = 'FK' and not g.negative_flag and (g.rating is null or g.rating <= prm.rating_max)
)
select s.tenant_id, ?, s.group_id, s.customer_type, s.branch, s.industry, s.division, s.affinity, s.turnover, s.rating,
  s.part_leasing, s.part_industry, s.part_turnover, s.part_investment, t.score,
  case when t.score >= prm.c_a then 'A' when t.score >= prm.c_b then 'B' when t.score >= prm.c_c then 'C' else 'D' end,
  round(coalesce(s.turnover, 0) * s.rate * t.score * 0.01)
from scored s
cross join prm
cross join lateral (select s.part_leasing + s.part_industry + s.part_turnover + s.part_investment as score) t`;

export async function leasingSlice(trx: Knex.Transaction, run: RunTarget, params: LeasingParams, slice: Slice): Promise<number> {
  const { tenantId: t, containerId: c, calculationId } = run;
  const { from, to } = slice;
  const result = await trx.raw(LEASING, [JSON.stringify(leasingRecord(params)), t, c, from, to, to, t, c, from, to, to, t, c, from, to, to, calculationId]);
  return (result as { rowCount: number }).rowCount;
}
