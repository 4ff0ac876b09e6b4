import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { inTenant, inWholeTenant, seeAllDepartments } from '../src/db/tenant-transaction.js';
import { apiDb, createTenant, createUser, ownerDb, uniqueName } from './helpers/db.js';
import { PLATFORM_TABLES_WITH_TENANT_ID, tenantRowFixtures, type FixtureContext } from './helpers/tenant-fixtures.js';

const owner = ownerDb();
const api = apiDb(1); // one connection: every test reuses the same pooled session
let a: FixtureContext;
let b: FixtureContext;

async function seed(ctx: FixtureContext): Promise<void> {
  await inTenant(owner, ctx.tenantId, async (trx) => {
    for (const [table, insert] of Object.entries(tenantRowFixtures)) {
      await insert(trx, ctx);
      if (table === 'departments') await seeAllDepartments(trx, ctx.tenantId);
    }
  });
}

async function context(roleId: string): Promise<FixtureContext> {
  const tenantId = await createTenant(owner);
  const userId = await createUser(owner, tenantId);
  return { tenantId, userId, roleId };
}

before(async () => {
  const [role] = await owner('roles').insert({ name: uniqueName('role') }).returning('id');
  const roleId = (role as { id: string }).id;
  a = await context(roleId);
  b = await context(roleId);
  await seed(a);
  await seed(b);
});

after(async () => {
  await owner.destroy();
  await api.destroy();
});

async function tenantOwnedTables(): Promise<string[]> {
  const result = await owner.raw(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and c.relname <> all(?)
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id')
      order by 1`,
    [PLATFORM_TABLES_WITH_TENANT_ID],
  );
  return (result.rows as { relname: string }[]).map((r) => r.relname);
}

async function count(trx: Knex | Knex.Transaction, table: string, tenantId?: string): Promise<number> {
  const q = trx(table).count<{ n: number }[]>({ n: '*' });
  if (tenantId) q.where({ tenant_id: tenantId });
  const [row] = await q;
  return Number(row!.n);
}

async function affectedOrRefused(work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (err) {
    assert.match(String(err), /permission denied/);
    return 0;
  }
}

/** Tenant isolation is checked with every department of the tenant visible; departments have their own suite. */
describe('tenant isolation as the API role (RLS)', () => {
  it('has a fixture for every tenant-owned table', async () => {
    assert.deepEqual(Object.keys(tenantRowFixtures).sort(), await tenantOwnedTables());
  });

  it("with tenant A set, tenant B's rows cannot be read", async () => {
    for (const table of await tenantOwnedTables()) {
      await inWholeTenant(api, a.tenantId, async (trx) => {
        assert.ok((await count(trx, table, a.tenantId)) >= 1, `${table}: A should see its own rows`);
        assert.equal(await count(trx, table, b.tenantId), 0, `${table}: A sees B's rows`);
        assert.equal(await count(trx, table), await count(trx, table, a.tenantId), `${table}: A sees foreign rows`);
      });
    }
  });

  it("with tenant A set, tenant B's rows cannot be updated or deleted", async () => {
    for (const table of await tenantOwnedTables()) {
      // Either RLS hides B's rows (0 affected) or the API role has no such privilege at all.
      const updated = await affectedOrRefused(() =>
        inWholeTenant(api, a.tenantId, (trx) => trx(table).where({ tenant_id: b.tenantId }).update({ tenant_id: b.tenantId })),
      );
      assert.equal(updated, 0, `${table}: updated B's rows`);
      const deleted = await affectedOrRefused(() => inWholeTenant(api, a.tenantId, (trx) => trx(table).where({ tenant_id: b.tenantId }).delete()));
      assert.equal(deleted, 0, `${table}: deleted B's rows`);
    }
    await inWholeTenant(owner, b.tenantId, async (trx) => {
      for (const table of await tenantOwnedTables()) assert.ok((await count(trx, table)) >= 1, `${table}: B lost rows`);
    });
  });

  it('with tenant A set, rows for tenant B cannot be inserted, nor A rows moved to B', async () => {
    for (const [table, insert] of Object.entries(tenantRowFixtures)) {
      await assert.rejects(
        inWholeTenant(api, a.tenantId, (trx) => insert(trx, b)),
        // Refused by the policy, or for tables the API may not write at all (chain anchors) by the grant.
        /row-level security|permission denied/,
        `${table}: insert for B was accepted`,
      );
    }
    await assert.rejects(
      inWholeTenant(api, a.tenantId, (trx) => trx('containers').where({ tenant_id: a.tenantId }).update({ tenant_id: b.tenantId })),
      /row-level security/,
    );
  });

  it('with no tenant set, nothing is visible', async () => {
    for (const table of await tenantOwnedTables()) {
      assert.equal(await count(api, table), 0, `${table}: visible without a tenant`);
      await api.transaction(async (trx) => {
        await trx.raw("select set_config('app.tenant_id', '', true)");
        assert.equal(await count(trx, table), 0, `${table}: visible with an empty tenant`);
      });
    }
  });

  it('a pooled connection reused after a tenant-A transaction sees nothing of A', async () => {
    const pidA = await inWholeTenant(api, a.tenantId, async (trx) => {
      assert.ok((await count(trx, 'containers')) >= 1);
      return (await trx.raw('select pg_backend_pid() as pid')).rows[0].pid as number;
    });
    const pidAfter = (await api.raw('select pg_backend_pid() as pid')).rows[0].pid as number;
    assert.equal(pidAfter, pidA, 'the test must reuse the same connection');
    assert.equal(await count(api, 'containers'), 0);
    const setting = (await api.raw("select current_setting('app.tenant_id', true) as t")).rows[0].t as string | null;
    assert.ok(setting === null || setting === '', 'tenant setting leaked past the transaction');
  });

  it('a transaction for tenant B on the same connection sees only B', async () => {
    await inWholeTenant(api, a.tenantId, async (trx) => void (await count(trx, 'containers')));
    await inWholeTenant(api, b.tenantId, async (trx) => {
      assert.equal(await count(trx, 'containers', a.tenantId), 0);
      assert.ok((await count(trx, 'containers', b.tenantId)) >= 1);
    });
  });
});
