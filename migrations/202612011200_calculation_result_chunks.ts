import type { Knex } from 'knex';

/**
 * Calculation results as one row per slice of customer groups (arrays in group order) instead of
 * one row per group.
 *
 * A million result rows cost more to write (heap, key, WAL, the key check per row) than the whole
 * calculation: writing was three quarters of a segmentation run. A slice of 50 000 results is one
 * row here. Its arrays are aligned: element i of every array belongs to the same customer group,
 * and the groups of a slice are in byte order, as are the slices (`chunk`), so reading chunks in
 * order and elements in order is the export's order. Views unnest them; the row-level security
 * and the cascade from the calculation are unchanged.
 */
const TENANT_POLICY = "create policy tenant_isolation on ?? using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)";

/**
 * The arrays are stored out of line but uncompressed: pglz (this PostgreSQL has no lz4) cost a
 * fifth of a segmentation run for a threefold saving on data that is deleted with its run.
 */
async function storeUncompressed(knex: Knex, table: string): Promise<void> {
  const { rows } = await knex.raw("select column_name from information_schema.columns where table_name = ? and data_type = 'ARRAY'", [table]);
  for (const { column_name } of rows as { column_name: string }[]) await knex.raw('alter table ?? alter column ?? set storage external', [table, column_name]);
}

async function isolate(knex: Knex, table: string): Promise<void> {
  await knex.raw('alter table ?? enable row level security', [table]);
  await knex.raw('alter table ?? force row level security', [table]);
  await knex.raw(TENANT_POLICY, [table]);
  await knex.raw('grant select, insert, delete on ?? to kontor_api', [table]);
}

const CHUNK = 50_000;

/** The owner is subject to the tenant policy like everyone: data moves tenant by tenant. */
async function perTenant(knex: Knex, work: () => Promise<void>): Promise<void> {
  const tenants = (await knex('tenants').select('id')) as { id: string }[];
  for (const t of tenants) {
    await knex.raw("select set_config('app.tenant_id', ?, true)", [t.id]);
    await work();
  }
  await knex.raw("select set_config('app.tenant_id', '', true)");
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table segmentation_result_chunks (
      tenant_id uuid not null,
      calculation_id uuid not null,
      chunk integer not null,
      group_ids text[] collate "C" not null,
      kinds text[] not null,
      branches text[] not null,
      segment_nos smallint[] not null,
      volumes numeric[] not null,
      primary key (tenant_id, calculation_id, chunk),
      foreign key (tenant_id, calculation_id) references calculations (tenant_id, id) on delete cascade
    )`);
  await isolate(knex, 'segmentation_result_chunks');
  await storeUncompressed(knex, 'segmentation_result_chunks');

  await knex.raw(`
    create table leasing_result_chunks (
      tenant_id uuid not null,
      calculation_id uuid not null,
      chunk integer not null,
      group_ids text[] collate "C" not null,
      customer_types smallint[] not null,
      branches text[] not null,
      industries text[] not null,
      divisions smallint[] not null,
      affinities text[] not null,
      turnovers numeric[] not null,
      ratings smallint[] not null,
      parts_leasing smallint[] not null,
      parts_industry smallint[] not null,
      parts_turnover smallint[] not null,
      parts_investment smallint[] not null,
      scores smallint[] not null,
      classes text[] not null,
      potentials numeric[] not null,
      primary key (tenant_id, calculation_id, chunk),
      foreign key (tenant_id, calculation_id) references calculations (tenant_id, id) on delete cascade
    )`);
  await isolate(knex, 'leasing_result_chunks');
  await storeUncompressed(knex, 'leasing_result_chunks');

  await perTenant(knex, async () => {
    await knex.raw(`
      insert into segmentation_result_chunks (tenant_id, calculation_id, chunk, group_ids, kinds, branches, segment_nos, volumes)
      select tenant_id, calculation_id, chunk, array_agg(group_id order by group_id), array_agg(kind order by group_id), array_agg(branch order by group_id),
             array_agg(segment_no order by group_id), array_agg(volume order by group_id)
        from (select r.*, ((row_number() over (partition by calculation_id order by group_id) - 1) / ?)::int as chunk from segmentation_results r) s
       group by tenant_id, calculation_id, chunk`, [CHUNK]);
    await knex.raw(`
      insert into leasing_result_chunks (tenant_id, calculation_id, chunk, group_ids, customer_types, branches, industries, divisions, affinities, turnovers, ratings,
        parts_leasing, parts_industry, parts_turnover, parts_investment, scores, classes, potentials)
      select tenant_id, calculation_id, chunk, array_agg(group_id order by group_id), array_agg(customer_type order by group_id), array_agg(branch order by group_id),
             array_agg(industry order by group_id), array_agg(division order by group_id), array_agg(affinity order by group_id), array_agg(turnover order by group_id),
             array_agg(rating order by group_id), array_agg(part_leasing order by group_id), array_agg(part_industry order by group_id),
             array_agg(part_turnover order by group_id), array_agg(part_investment order by group_id), array_agg(score order by group_id),
             array_agg(class order by group_id), array_agg(potential order by group_id)
        from (select r.*, ((row_number() over (partition by calculation_id order by group_id) - 1) / ?)::int as chunk from leasing_results r) s
       group by tenant_id, calculation_id, chunk`, [CHUNK]);
  });
  await knex.raw('drop table segmentation_results');
  await knex.raw('drop table leasing_results');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    create table segmentation_results (
      tenant_id uuid not null, calculation_id uuid not null, group_id text collate "C" not null, kind text not null, branch text not null,
      segment_no smallint not null, segment text not null, kut smallint not null, volume numeric(20,2) not null,
      primary key (tenant_id, calculation_id, group_id),
      foreign key (tenant_id, calculation_id) references calculations (tenant_id, id) on delete cascade
    )`);
  await isolate(knex, 'segmentation_results');
  await knex.raw(`
    create table leasing_results (
      tenant_id uuid not null, calculation_id uuid not null, group_id text collate "C" not null, customer_type smallint not null, branch text not null,
      industry text, division smallint, affinity text not null, turnover numeric(18,2), rating smallint,
      part_leasing smallint not null, part_industry smallint not null, part_turnover smallint not null, part_investment smallint not null,
      score smallint not null, class text not null, potential numeric(20,0) not null,
      primary key (tenant_id, calculation_id, group_id),
      foreign key (tenant_id, calculation_id) references calculations (tenant_id, id) on delete cascade
    )`);
  await isolate(knex, 'leasing_results');
  await perTenant(knex, async () => {
    // Segment names and kuts were never part of the chunks: they come back from each run's template copy.
    await knex.raw(`
      insert into segmentation_results (tenant_id, calculation_id, group_id, kind, branch, segment_no, segment, kut, volume)
      select c.tenant_id, c.calculation_id, r.group_id, r.kind, r.branch, r.segment_no,
             coalesce(k.definition->'segments'->(r.segment_no - 1)->>'name', 'unassigned'),
             coalesce((k.definition->'segments'->(r.segment_no - 1)->>'kut')::smallint, 0), r.volume
        from segmentation_result_chunks c
        join calculations k on k.tenant_id = c.tenant_id and k.id = c.calculation_id
        cross join lateral unnest(c.group_ids, c.kinds, c.branches, c.segment_nos, c.volumes) as r(group_id, kind, branch, segment_no, volume)`);
    await knex.raw(`
      insert into leasing_results (tenant_id, calculation_id, group_id, customer_type, branch, industry, division, affinity, turnover, rating,
        part_leasing, part_industry, part_turnover, part_investment, score, class, potential)
      select c.tenant_id, c.calculation_id, r.*
        from leasing_result_chunks c
        cross join lateral unnest(c.group_ids, c.customer_types, c.branches, c.industries, c.divisions, c.affinities, c.turnovers, c.ratings,
          c.parts_leasing, c.parts_industry, c.parts_turnover, c.parts_investment, c.scores, c.classes, c.potentials)
          as r(group_id, customer_type, branch, industry, division, affinity, turnover, rating, part_leasing, part_industry, part_turnover, part_investment, score, class, potential)`);
  });
  await knex.raw('drop table leasing_result_chunks');
  await knex.raw('drop table segmentation_result_chunks');
}
