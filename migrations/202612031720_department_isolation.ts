import type { Knex } from 'knex';

/**
 * Need-to-know inside a bank, enforced by PostgreSQL (issue 18). Every department-owned table
 * gets a second, RESTRICTIVE policy beside its tenant policy: the row's department must be one of
 * the request's departments (`app.department_ids`, a uuid array set transaction-locally next to
 * `app.tenant_id`). Unset or empty means NULL and so matches nothing: deny by default.
 *
 * `department_id` becomes part of the keys that need it: names are unique per department (a
 * name in another department is neither a clash nor a way to probe for it), and every child row
 * refers to its container (or run) by (tenant, id, department), so a row can never sit in another
 * department than its container, and moving a container carries its data along (ON UPDATE
 * CASCADE; referential actions run as the owner, past row-level security, as they must).
 * The container data (customer groups, products, payments) has no foreign keys but statement
 * triggers (migration 202612011100); they now also refuse a row whose department is not its
 * container's, and a move of a container carries its data rows along in one statement each,
 * as the mover (so row-level security checks the move there as well).
 */
const DEPARTMENT_POLICY = "create policy department_isolation on ?? as restrictive using (department_id = any(nullif(current_setting('app.department_ids', true), '')::uuid[])) with check (department_id = any(nullif(current_setting('app.department_ids', true), '')::uuid[]))";

const OWNED = [
  'containers', 'customer_groups', 'products', 'payments', 'imports', 'calculations',
  'segmentation_result_chunks', 'leasing_result_chunks', 'segmentation_templates',
];

/** Child table → the parent it hangs on, by which column (the container data tables use statement triggers instead). */
const CHILDREN: [table: string, column: string, parent: 'containers' | 'calculations'][] = [
  ['imports', 'container_id', 'containers'],
  ['calculations', 'container_id', 'containers'],
  ['segmentation_result_chunks', 'calculation_id', 'calculations'],
  ['leasing_result_chunks', 'calculation_id', 'calculations'],
];

async function foreignKeys(knex: Knex, table: string, parent: string): Promise<string[]> {
  const { rows } = await knex.raw<{ rows: { conname: string }[] }>(
    "select conname from pg_constraint where contype = 'f' and conrelid = ?::regclass and confrelid = ?::regclass", [table, parent]);
  return rows.map((r) => r.conname);
}

export async function up(knex: Knex): Promise<void> {
  for (const table of OWNED) await knex.raw('alter table ?? alter column department_id set not null', [table]);

  await knex.raw('alter table containers drop constraint containers_tenant_id_name_unique');
  await knex.raw('alter table containers add constraint containers_department_name unique (tenant_id, department_id, name)');
  await knex.raw('alter table containers add constraint containers_department_key unique (tenant_id, id, department_id)');
  await knex.raw('alter table containers add constraint containers_department foreign key (tenant_id, department_id) references departments (tenant_id, id)');

  await knex.raw('alter table segmentation_templates drop constraint segmentation_templates_tenant_id_name_unique');
  await knex.raw('alter table segmentation_templates add constraint segmentation_templates_department_name unique (tenant_id, department_id, name)');
  await knex.raw('alter table segmentation_templates add constraint segmentation_templates_department foreign key (tenant_id, department_id) references departments (tenant_id, id)');

  await knex.raw('alter table calculations add constraint calculations_department_key unique (tenant_id, id, department_id)');

  for (const [table, column, parent] of CHILDREN) {
    for (const name of await foreignKeys(knex, table, parent)) await knex.raw('alter table ?? drop constraint ??', [table, name]);
    await knex.raw(
      'alter table ?? add constraint ?? foreign key (tenant_id, ??, department_id) references ?? (tenant_id, id, department_id) on delete cascade on update cascade',
      [table, `${table}_${parent}_department`, column, parent],
    );
  }

  await dataTriggers(knex, true);
  for (const table of DATA) await knex.raw('grant update (department_id) on ?? to kontor_api', [table]);
  // Row-level on containers (a handful of rows), one set-based statement per data table.
  await knex.raw(`
    create function containers_department_moved() returns trigger
    language plpgsql security invoker set search_path = public as $$
    begin
      update customer_groups set department_id = new.department_id where tenant_id = new.tenant_id and container_id = new.id;
      update products set department_id = new.department_id where tenant_id = new.tenant_id and container_id = new.id;
      update payments set department_id = new.department_id where tenant_id = new.tenant_id and container_id = new.id;
      return null;
    end $$`);
  await knex.raw('create trigger containers_department_moved after update of department_id on containers for each row when (old.department_id is distinct from new.department_id) execute function containers_department_moved()');

  for (const table of OWNED) await knex.raw(DEPARTMENT_POLICY, [table]);
}

const DATA = ['customer_groups', 'products', 'payments'];

/**
 * The insert checks of migration 202612011100, with the department: `keys` carries each
 * statement's (tenant, container, department) triples, and each must be a container as it is.
 */
async function dataTriggers(knex: Knex, withDepartment: boolean): Promise<void> {
  const keyColumns = withDepartment ? 'tenant_id, container_id, department_id' : 'tenant_id, container_id';
  const keyObject = withDepartment
    ? "jsonb_build_object('tenant_id', tenant_id, 'container_id', container_id, 'department_id', department_id)"
    : "jsonb_build_object('tenant_id', tenant_id, 'container_id', container_id)";
  const keyRecord = withDepartment ? 'k(tenant_id uuid, container_id uuid, department_id uuid)' : 'k(tenant_id uuid, container_id uuid)';
  const sameDepartment = withDepartment ? ' and c.department_id = k.department_id' : '';
  await knex.raw(`
    create or replace function customer_groups_need_container() returns trigger
    language plpgsql security invoker set search_path = public as $$
    declare
      keys jsonb;
    begin
      select coalesce(jsonb_agg(${keyObject}), '[]') into keys
        from (select distinct ${keyColumns} from added) d;
      perform container_data_lock_containers(keys, 'share');
      if exists (select 1 from jsonb_to_recordset(keys) as ${keyRecord}
                  where not exists (select 1 from containers c where c.tenant_id = k.tenant_id and c.id = k.container_id${sameDepartment})) then
        raise exception 'customer groups must belong to an existing container, in its department'
          using errcode = 'foreign_key_violation', table = 'customer_groups', constraint = 'customer_groups_container';
      end if;
      return null;
    end $$`);
  await knex.raw(`
    create or replace function container_rows_need_group() returns trigger
    language plpgsql security invoker set search_path = public as $$
    declare
      keys jsonb;
      one_tenant uuid;
      one_container uuid;
      orphan boolean;
      nestloop text := current_setting('enable_nestloop');
      memory text := current_setting('work_mem');
    begin
      select coalesce(jsonb_agg(${keyObject}), '[]') into keys
        from (select distinct ${keyColumns} from added) d;
      perform container_data_lock_containers(keys, 'share');
      if exists (select 1 from jsonb_to_recordset(keys) as ${keyRecord}
                  where not exists (select 1 from containers c where c.tenant_id = k.tenant_id and c.id = k.container_id${sameDepartment})) then
        raise exception '% rows must belong to an existing container, in its department', TG_TABLE_NAME
          using errcode = 'foreign_key_violation', table = TG_TABLE_NAME, constraint = TG_TABLE_NAME || '_container';
      end if;
      perform set_config('enable_nestloop', 'off', true), set_config('work_mem', '64MB', true);
      if jsonb_array_length(keys) = 1 then
        -- The API's case: a constant container lets the planner read just that container's groups.
        one_tenant := (keys->0->>'tenant_id')::uuid;
        one_container := (keys->0->>'container_id')::uuid;
        select exists (select 1 from added a where not exists (
            select 1 from customer_groups g where g.tenant_id = one_tenant and g.container_id = one_container and g.group_id = a.group_id))
          into orphan;
      else
        select exists (select 1 from added a where not exists (
            select 1 from customer_groups g where g.tenant_id = a.tenant_id and g.container_id = a.container_id and g.group_id = a.group_id))
          into orphan;
      end if;
      perform set_config('enable_nestloop', nestloop, true), set_config('work_mem', memory, true);
      if orphan then
        raise exception '% rows must belong to a customer group of their container', TG_TABLE_NAME
          using errcode = 'foreign_key_violation', table = TG_TABLE_NAME, constraint = TG_TABLE_NAME || '_customer_group';
      end if;
      return null;
    end $$`);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of OWNED) await knex.raw('drop policy if exists department_isolation on ??', [table]);
  await knex.raw('drop trigger if exists containers_department_moved on containers');
  await knex.raw('drop function if exists containers_department_moved()');
  for (const table of DATA) await knex.raw('revoke update (department_id) on ?? from kontor_api', [table]);
  await dataTriggers(knex, false);
  for (const [table, column, parent] of CHILDREN) {
    await knex.raw('alter table ?? drop constraint if exists ??', [table, `${table}_${parent}_department`]);
    await knex.raw('alter table ?? add foreign key (tenant_id, ??) references ?? (tenant_id, id) on delete cascade', [table, column, parent]);
  }
  await knex.raw('alter table calculations drop constraint if exists calculations_department_key');
  await knex.raw('alter table segmentation_templates drop constraint if exists segmentation_templates_department');
  await knex.raw('alter table segmentation_templates drop constraint if exists segmentation_templates_department_name');
  await knex.raw('alter table segmentation_templates add constraint segmentation_templates_tenant_id_name_unique unique (tenant_id, name)');
  await knex.raw('alter table containers drop constraint if exists containers_department');
  await knex.raw('alter table containers drop constraint if exists containers_department_key');
  await knex.raw('alter table containers drop constraint if exists containers_department_name');
  await knex.raw('alter table containers add constraint containers_tenant_id_name_unique unique (tenant_id, name)');
  for (const table of OWNED) await knex.raw('alter table ?? alter column department_id drop not null', [table]);
}
