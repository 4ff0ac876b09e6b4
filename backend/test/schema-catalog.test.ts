import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { checkApiRole } from '../src/db/bootstrap.js';
import { apiDb, ownerDb } from './helpers/db.js';
import { PLATFORM_TABLES_WITH_TENANT_ID } from './helpers/tenant-fixtures.js';

const owner = ownerDb();
const api = apiDb(1);
after(async () => {
  await owner.destroy();
  await api.destroy();
});

interface TableRow {
  table: string;
  rls: boolean;
  forced: boolean;
  policies: number;
  pk_first: string | null;
  policy_ok: boolean;
}

async function tenantTables(): Promise<TableRow[]> {
  const result = await owner.raw(
    `select c.relname as table, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
            (select count(*) from pg_policy p where p.polrelid = c.oid and p.polpermissive) as policies,
            (select a.attname from pg_constraint k join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
               where k.conrelid = c.oid and k.contype = 'p') as pk_first,
            coalesce((select bool_and(pg_get_expr(p.polqual, p.polrelid) like '%tenant_id = (NULLIF(current_setting(''app.tenant_id''::text, true)%'
                                  and pg_get_expr(p.polwithcheck, p.polrelid) like '%tenant_id = (NULLIF(current_setting(''app.tenant_id''::text, true)%'
                                  and p.polpermissive and p.polroles = '{0}')
                        from pg_policy p where p.polrelid = c.oid and p.polpermissive), false) as policy_ok
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p')
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
        and c.relname <> all(?)
      order by 1`,
    [PLATFORM_TABLES_WITH_TENANT_ID],
  );
  return result.rows as TableRow[];
}

/** membership_departments says which departments a request has, so it carries only the tenant condition. */
const DEPARTMENT_MEMBERSHIP_TABLES = ['membership_departments'];
const DEPARTMENT_OWNED = [
  'calculations', 'containers', 'customer_groups', 'imports', 'leasing_result_chunks', 'payments', 'products', 'segmentation_result_chunks', 'segmentation_templates',
];

async function departmentTables(): Promise<{ table: string; forced: boolean; restrictive: number; department_ok: boolean; not_null: boolean }[]> {
  const result = await owner.raw(
    `select c.relname as table, c.relforcerowsecurity as forced,
            (select count(*) from pg_policy p where p.polrelid = c.oid and not p.polpermissive) as restrictive,
            coalesce((select bool_and(pg_get_expr(p.polqual, p.polrelid) = '(department_id = ANY ((NULLIF(current_setting(''app.department_ids''::text, true), ''''::text))::uuid[]))'
                                  and pg_get_expr(p.polwithcheck, p.polrelid) = '(department_id = ANY ((NULLIF(current_setting(''app.department_ids''::text, true), ''''::text))::uuid[]))'
                                  and p.polroles = '{0}')
                        from pg_policy p where p.polrelid = c.oid and not p.polpermissive), false) as department_ok,
            (select a.attnotnull from pg_attribute a where a.attrelid = c.oid and a.attname = 'department_id') as not_null
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p')
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'department_id' and not a.attisdropped)
        and c.relname <> all(?)
      order by 1`,
    [DEPARTMENT_MEMBERSHIP_TABLES],
  );
  return result.rows as { table: string; forced: boolean; restrictive: number; department_ok: boolean; not_null: boolean }[];
}

describe('schema catalog (DESIGN §4)', () => {
  it('finds the tenant-owned tables at all', async () => {
    const names = (await tenantTables()).map((t) => t.table);
    for (const expected of ['sessions', 'memberships', 'audit_events', 'containers']) assert.ok(names.includes(expected), expected);
  });

  it('every tenant-owned table has RLS enabled and forced, one tenant policy, and a key led by tenant_id', async () => {
    for (const t of await tenantTables()) {
      assert.equal(t.rls, true, `${t.table}: row level security not enabled`);
      assert.equal(t.forced, true, `${t.table}: row level security not forced`);
      assert.equal(Number(t.policies), 1, `${t.table}: expected exactly one permissive policy`);
      assert.equal(t.policy_ok, true, `${t.table}: policy is not the tenant policy for all roles (USING and WITH CHECK)`);
      assert.equal(t.pk_first, 'tenant_id', `${t.table}: primary key does not start with tenant_id`);
    }
  });

  it('every foreign key between tenant-owned tables starts with tenant_id', async () => {
    const tables = (await tenantTables()).map((t) => t.table);
    const result = await owner.raw(
      `select k.conname, c.relname as from_table, r.relname as to_table, a.attname as first_col
         from pg_constraint k
         join pg_class c on c.oid = k.conrelid join pg_class r on r.oid = k.confrelid
         join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
        where k.contype = 'f' and c.relname = any(?) and r.relname = any(?)`,
      [tables, tables],
    );
    assert.ok(result.rows.length > 0, 'expected foreign keys between tenant tables');
    for (const fk of result.rows as { conname: string; first_col: string }[]) {
      assert.equal(fk.first_col, 'tenant_id', `${fk.conname} does not start with tenant_id`);
    }
  });

  it('finds the department-owned tables: containers and all their data, imports, runs, results, templates', async () => {
    assert.deepEqual((await departmentTables()).map((t) => t.table), DEPARTMENT_OWNED);
  });

  it('every table with a department_id has the department condition as a restrictive policy (USING and WITH CHECK)', async () => {
    for (const t of await departmentTables()) {
      assert.equal(t.forced, true, `${t.table}: row level security not forced`);
      assert.equal(Number(t.restrictive), 1, `${t.table}: expected exactly one restrictive policy`);
      assert.equal(t.department_ok, true, `${t.table}: the restrictive policy is not the department condition for all roles`);
      assert.equal(t.not_null, true, `${t.table}: department_id may be null`);
    }
  });

  it('department_id is part of the keys that need it: every key between department-owned tables, every unique name', async () => {
    const tables = DEPARTMENT_OWNED;
    const fks = await owner.raw(
      `select k.conname, (select array_agg(a.attname::text) from pg_attribute a where a.attrelid = k.conrelid and a.attnum = any(k.conkey)) as cols
         from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_class r on r.oid = k.confrelid
        where k.contype = 'f' and c.relname = any(?) and r.relname = any(?)`, [tables, tables]);
    assert.ok(fks.rows.length >= 4, 'expected keys between department-owned tables');
    for (const fk of fks.rows as { conname: string; cols: string[] }[]) assert.ok(fk.cols.includes('department_id'), `${fk.conname} does not include department_id`);
    const uniques = await owner.raw(
      `select k.conname, (select array_agg(a.attname::text) from pg_attribute a where a.attrelid = k.conrelid and a.attnum = any(k.conkey)) as cols
         from pg_constraint k join pg_class c on c.oid = k.conrelid
        where k.contype = 'u' and c.relname = any(?)`, [tables]);
    const named = (uniques.rows as { conname: string; cols: string[] }[]).filter((u) => u.cols.includes('name'));
    assert.deepEqual(named.map((u) => u.conname).sort(), ['containers_department_name', 'segmentation_templates_department_name']);
    for (const u of named) assert.ok(u.cols.includes('department_id'), `${u.conname}: a name is unique per department`);
  });

  it('no SECURITY DEFINER functions and no views without security_invoker', async () => {
    const definers = await owner.raw(
      `select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and p.prosecdef`,
    );
    assert.deepEqual(definers.rows, []);
    const views = await owner.raw(
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'v' and not coalesce(c.reloptions @> array['security_invoker=true'], false)`,
    );
    assert.deepEqual(views.rows, []);
  });

  it('the API role is neither owner, superuser nor BYPASSRLS', async () => {
    const check = await checkApiRole(api);
    assert.deepEqual(check.problems, []);
    const role = await api.raw(
      `select rolsuper, rolbypassrls from pg_roles where rolname = current_user`,
    );
    assert.deepEqual(role.rows[0], { rolsuper: false, rolbypassrls: false });
  });

  it('the role check does flag an owner, so it cannot pass vacuously', async () => {
    const check = await checkApiRole(owner);
    assert.ok(check.problems.some((p) => p.includes('owns')), check.problems.join('; '));
  });

  it('the API role has no DDL and cannot read the migration table', async () => {
    await assert.rejects(api.raw('create table api_should_not_create (id int)'), /permission denied/);
    await assert.rejects(api.raw('select * from knex_migrations'), /permission denied/);
    await assert.rejects(api.raw('alter table containers disable row level security'), /must be owner/);
  });
});
