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
            (select count(*) from pg_policy p where p.polrelid = c.oid) as policies,
            (select a.attname from pg_constraint k join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
               where k.conrelid = c.oid and k.contype = 'p') as pk_first,
            coalesce((select bool_and(pg_get_expr(p.polqual, p.polrelid) like '%tenant_id = (NULLIF(current_setting(''app.tenant_id''::text, true)%'
                                  and pg_get_expr(p.polwithcheck, p.polrelid) like '%tenant_id = (NULLIF(current_setting(''app.tenant_id''::text, true)%'
                                  and p.polpermissive and p.polroles = '{0}')
                        from pg_policy p where p.polrelid = c.oid), false) as policy_ok
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p')
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
        and c.relname <> all(?)
      order by 1`,
    [PLATFORM_TABLES_WITH_TENANT_ID],
  );
  return result.rows as TableRow[];
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
      assert.equal(Number(t.policies), 1, `${t.table}: expected exactly one policy`);
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
