import type { Knex } from 'knex';

/**
 * Departments ("Bereiche") inside a bank, and which members belong to which (issue 18). Both are
 * tenant-owned like every such table (tenant_id leads each key, the one tenant policy). The
 * department-owned tables get their `department_id` column here, still nullable: the next
 * migration fills it (every bank's "Gesamthaus"), the one after makes it a key and a policy.
 */
const TENANT_POLICY = "create policy tenant_isolation on ?? using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)";

const DEPARTMENT_OWNED = [
  'containers', 'customer_groups', 'products', 'payments', 'imports', 'calculations',
  'segmentation_result_chunks', 'leasing_result_chunks', 'segmentation_templates',
];

async function isolate(knex: Knex, table: string, grant: string): Promise<void> {
  await knex.raw('alter table ?? enable row level security', [table]);
  await knex.raw('alter table ?? force row level security', [table]);
  await knex.raw(TENANT_POLICY, [table]);
  await knex.raw(grant, [table]);
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table departments (
      tenant_id uuid not null references tenants (id) on delete cascade,
      id uuid not null default gen_random_uuid(),
      name text not null,
      created_at timestamptz not null default now(),
      archived_at timestamptz,
      primary key (tenant_id, id),
      unique (tenant_id, name)
    )`);
  await isolate(knex, 'departments', 'grant select, insert, update on ?? to kontor_api');

  await knex.raw(`
    create table membership_departments (
      tenant_id uuid not null,
      user_id uuid not null,
      department_id uuid not null,
      primary key (tenant_id, user_id, department_id),
      foreign key (tenant_id, user_id) references memberships (tenant_id, user_id) on delete cascade,
      foreign key (tenant_id, department_id) references departments (tenant_id, id)
    )`);
  await knex.raw('create index membership_departments_department on membership_departments (tenant_id, department_id)');
  await isolate(knex, 'membership_departments', 'grant select, insert, delete on ?? to kontor_api');

  for (const table of DEPARTMENT_OWNED) await knex.raw('alter table ?? add column department_id uuid', [table]);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of DEPARTMENT_OWNED) await knex.raw('alter table ?? drop column if exists department_id', [table]);
  await knex.raw('drop table if exists membership_departments');
  await knex.raw('drop table if exists departments');
}
