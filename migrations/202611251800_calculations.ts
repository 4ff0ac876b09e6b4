import type { Knex } from 'knex';

/**
 * Segmentation templates, calculation runs and their per-group results. Tenant-owned like every
 * such table: tenant_id leads each key, RLS enabled and forced with the one tenant policy.
 * A run stores its own copy of the template or parameters it used, so editing or deleting a
 * template never changes a finished result. Result rows carry what their views need (kind,
 * branch, customer type, industry), so a later re-import does not change an existing result.
 * group_id is compared byte-wise (collation "C"): exports are ordered so, and the key serves it.
 */
const TENANT_POLICY = "create policy tenant_isolation on ?? using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)";

/** The API's privileges, each a whole literal statement (only the table name is bound). */
const GRANTS = {
  'select, insert, delete': 'grant select, insert, delete on ?? to kontor_api',
  'select, insert, update, delete': 'grant select, insert, update, delete on ?? to kontor_api',
} as const;

async function isolate(knex: Knex, table: string, privileges: keyof typeof GRANTS): Promise<void> {
  await knex.raw('alter table ?? enable row level security', [table]);
  await knex.raw('alter table ?? force row level security', [table]);
  await knex.raw(TENANT_POLICY, [table]);
  await knex.raw(GRANTS[privileges], [table]);
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('segmentation_templates', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.text('name').notNullable();
    t.jsonb('definition').notNullable();
    t.uuid('created_by').references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'name']);
  });
  await isolate(knex, 'segmentation_templates', 'select, insert, update, delete');

  await knex.schema.createTable('calculations', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('container_id').notNullable();
    t.text('kind').notNullable();
    t.uuid('template_id');
    t.text('template_name');
    t.jsonb('definition').notNullable();
    t.text('status').notNullable().defaultTo('queued');
    t.float('progress').notNullable().defaultTo(0);
    t.integer('groups_count').notNullable().defaultTo(0);
    t.integer('results_count').notNullable().defaultTo(0);
    t.jsonb('summary');
    t.text('error_code');
    t.text('error_message');
    t.uuid('created_by').references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'container_id']).references(['tenant_id', 'id']).inTable('containers').onDelete('CASCADE');
  });
  await knex.raw("alter table calculations add constraint calculations_kind check (kind in ('segmentation', 'leasing'))");
  await knex.raw("alter table calculations add constraint calculations_status check (status in ('queued', 'running', 'succeeded', 'failed'))");
  await knex.raw('create index calculations_container on calculations (tenant_id, container_id, created_at)');
  // One unfinished run per container, enforced by the database rather than by a check-then-insert.
  await knex.raw("create unique index calculations_one_active on calculations (tenant_id, container_id) where status in ('queued', 'running')");
  await isolate(knex, 'calculations', 'select, insert, update, delete');

  await knex.schema.createTable('segmentation_results', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('calculation_id').notNullable();
    t.specificType('group_id', 'text collate "C"').notNullable();
    t.text('kind').notNullable();
    t.text('branch').notNullable();
    t.smallint('segment_no').notNullable();
    t.text('segment').notNullable();
    t.smallint('kut').notNullable();
    t.decimal('volume', 20, 2).notNullable();
    t.primary(['tenant_id', 'calculation_id', 'group_id']);
    t.foreign(['tenant_id', 'calculation_id']).references(['tenant_id', 'id']).inTable('calculations').onDelete('CASCADE');
  });
  await isolate(knex, 'segmentation_results', 'select, insert, delete');

  await knex.schema.createTable('leasing_results', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('calculation_id').notNullable();
    t.specificType('group_id', 'text collate "C"').notNullable();
    t.smallint('customer_type').notNullable();
    t.text('branch').notNullable();
    t.text('industry');
    t.smallint('division');
    t.text('affinity').notNullable();
    t.decimal('turnover', 18, 2);
    t.smallint('rating');
    t.smallint('part_leasing').notNullable();
    t.smallint('part_industry').notNullable();
    t.smallint('part_turnover').notNullable();
    t.smallint('part_investment').notNullable();
    t.smallint('score').notNullable();
    t.text('class').notNullable();
    t.decimal('potential', 20, 0).notNullable();
    t.primary(['tenant_id', 'calculation_id', 'group_id']);
    t.foreign(['tenant_id', 'calculation_id']).references(['tenant_id', 'id']).inTable('calculations').onDelete('CASCADE');
  });
  await isolate(knex, 'leasing_results', 'select, insert, delete');
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['leasing_results', 'segmentation_results', 'calculations', 'segmentation_templates']) await knex.schema.dropTableIfExists(table);
}
