import type { Knex } from 'knex';

/**
 * The customer data of a container and the import jobs that fill it. Tenant-owned like every
 * such table: tenant_id leads each key, RLS enabled and forced with the one tenant policy.
 * Dependent rows cascade with their customer group, so re-importing customer groups clears
 * products and payments (they must be imported again, and the import order says so).
 */
const TENANT_POLICY = "create policy tenant_isolation on ?? using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)";

/** The API's privileges, each a whole literal statement (only the table name is bound). */
const GRANTS = {
  'select, insert': 'grant select, insert on ?? to kontor_api',
  'select, insert, delete': 'grant select, insert, delete on ?? to kontor_api',
  'select, insert, update': 'grant select, insert, update on ?? to kontor_api',
  'select, insert, update, delete': 'grant select, insert, update, delete on ?? to kontor_api',
} as const;

async function isolate(knex: Knex, table: string, privileges: keyof typeof GRANTS): Promise<void> {
  await knex.raw('alter table ?? enable row level security', [table]);
  await knex.raw('alter table ?? force row level security', [table]);
  await knex.raw(TENANT_POLICY, [table]);
  await knex.raw(GRANTS[privileges], [table]);
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('containers', (t) => {
    t.integer('groups_count').notNullable().defaultTo(0);
    t.integer('products_count').notNullable().defaultTo(0);
    t.integer('payments_count').notNullable().defaultTo(0);
  });

  await knex.schema.createTable('customer_groups', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('container_id').notNullable();
    t.text('group_id').notNullable();
    t.text('kind').notNullable();
    t.smallint('customer_type').notNullable();
    t.text('branch').notNullable();
    t.text('postcode').notNullable();
    t.smallint('age').notNullable();
    t.text('industry');
    t.decimal('turnover', 18, 2);
    t.smallint('rating');
    t.boolean('negative_flag').notNullable();
    t.integer('online_logins_12m').notNullable();
    t.primary(['tenant_id', 'container_id', 'group_id']);
    t.foreign(['tenant_id', 'container_id']).references(['tenant_id', 'id']).inTable('containers').onDelete('CASCADE');
  });
  await knex.raw("alter table customer_groups add constraint customer_groups_kind check (kind in ('PK', 'FK'))");
  await isolate(knex, 'customer_groups', 'select, insert, delete');

  await knex.schema.createTable('products', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('container_id').notNullable();
    t.integer('line').notNullable();
    t.text('group_id').notNullable();
    t.text('product_group').notNullable();
    t.decimal('balance', 18, 2).notNullable();
    t.decimal('balance_avg', 18, 2).notNullable();
    t.integer('count').notNullable();
    t.primary(['tenant_id', 'container_id', 'line']);
    t.foreign(['tenant_id', 'container_id', 'group_id']).references(['tenant_id', 'container_id', 'group_id']).inTable('customer_groups').onDelete('CASCADE');
  });
  await knex.raw('create index products_group on products (tenant_id, container_id, group_id)');
  await isolate(knex, 'products', 'select, insert, delete');

  await knex.schema.createTable('payments', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('container_id').notNullable();
    t.integer('line').notNullable();
    t.text('group_id').notNullable();
    t.text('category').notNullable();
    t.integer('count_12m').notNullable();
    t.decimal('sum_12m', 18, 2).notNullable();
    t.primary(['tenant_id', 'container_id', 'line']);
    t.foreign(['tenant_id', 'container_id', 'group_id']).references(['tenant_id', 'container_id', 'group_id']).inTable('customer_groups').onDelete('CASCADE');
  });
  await knex.raw('create index payments_group on payments (tenant_id, container_id, group_id)');
  await isolate(knex, 'payments', 'select, insert, delete');

  await knex.schema.createTable('imports', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('container_id').notNullable();
    t.text('kind').notNullable();
    t.text('status').notNullable().defaultTo('queued');
    t.bigInteger('bytes_total').notNullable().defaultTo(0);
    t.bigInteger('bytes_processed').notNullable().defaultTo(0);
    t.integer('rows_processed').notNullable().defaultTo(0);
    t.integer('rows_imported').notNullable().defaultTo(0);
    t.integer('error_count').notNullable().defaultTo(0);
    t.jsonb('errors').notNullable().defaultTo('[]');
    t.uuid('created_by').references('id').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'container_id']).references(['tenant_id', 'id']).inTable('containers').onDelete('CASCADE');
  });
  await knex.raw("alter table imports add constraint imports_kind check (kind in ('customer_groups', 'products', 'payments'))");
  await knex.raw("alter table imports add constraint imports_status check (status in ('queued', 'running', 'succeeded', 'failed'))");
  await knex.raw('create index imports_container on imports (tenant_id, container_id, created_at)');
  await isolate(knex, 'imports', 'select, insert, update, delete');
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['imports', 'payments', 'products', 'customer_groups']) await knex.schema.dropTableIfExists(table);
  await knex.schema.alterTable('containers', (t) => {
    t.dropColumn('groups_count');
    t.dropColumn('products_count');
    t.dropColumn('payments_count');
  });
}
