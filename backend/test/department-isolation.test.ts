import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { apiDb, createTenant, createUser, ownerDb, uniqueName } from './helpers/db.js';
import { departmentIdFor, placeInDepartment, tenantRowFixtures, type FixtureContext } from './helpers/tenant-fixtures.js';

/**
 * Departments inside one bank, enforced by PostgreSQL (issue 18): as the API role, with the bank
 * set and only department 1 in `app.department_ids`, every department-owned table hides,
 * protects and refuses department 2's rows — by the database alone, no application filter.
 */
const owner = ownerDb();
const api = apiDb(1);
let one: FixtureContext;
let two: FixtureContext;

/** What a fixture row of each table hangs on. */
const PARENTS: Record<string, string[]> = {
  customer_groups: ['containers'], products: ['containers', 'customer_groups'], payments: ['containers', 'customer_groups'], imports: ['containers'],
  calculations: ['containers'], segmentation_result_chunks: ['containers', 'calculations'], leasing_result_chunks: ['containers', 'calculations'],
};

const OWNED = ['containers', 'customer_groups', 'products', 'payments', 'imports', 'calculations', 'segmentation_result_chunks', 'leasing_result_chunks', 'segmentation_templates'];

/** A transaction of the bank with exactly these departments, as the guard sets them for a request. */
function inDepartments<T>(db: Knex, tenantId: string, departmentIds: string[] | null, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
    if (departmentIds) await trx.raw("select set_config('app.department_ids', ?, true)", [`{${departmentIds.join(',')}}`]);
    return work(trx);
  });
}

async function seed(ctx: FixtureContext): Promise<void> {
  await inWholeTenant(owner, ctx.tenantId, (trx) => tenantRowFixtures.departments!(trx, ctx));
  await inDepartments(owner, ctx.tenantId, [departmentIdFor(ctx)], async (trx) => {
    for (const table of OWNED) await tenantRowFixtures[table]!(trx, ctx);
  });
}

async function count(trx: Knex.Transaction, table: string, departmentId?: string): Promise<number> {
  const q = trx(table).count<{ n: number }[]>({ n: '*' });
  if (departmentId) q.where({ department_id: departmentId });
  return Number((await q)[0]!.n);
}

/** Rows touched, or 0 where the API role holds no such privilege at all. */
async function affectedOrRefused(work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (err) {
    assert.match(String(err), /permission denied/);
    return 0;
  }
}

before(async () => {
  const tenantId = await createTenant(owner);
  const [role] = await owner('roles').insert({ name: uniqueName('role') }).returning('id');
  const roleId = (role as { id: string }).id;
  one = { tenantId, userId: await createUser(owner, tenantId), roleId };
  two = { tenantId, userId: await createUser(owner, tenantId), roleId };
  await seed(one);
  await seed(two);
});

after(async () => {
  await owner.destroy();
  await api.destroy();
});

describe('department isolation as the API role (RLS)', () => {
  it("with department 1 set, department 2's rows of the same bank cannot be read", async () => {
    for (const table of OWNED) {
      await inDepartments(api, one.tenantId, [departmentIdFor(one)], async (trx) => {
        assert.equal(await count(trx, table, departmentIdFor(one)), 1, `${table}: department 1 should see its own row`);
        assert.equal(await count(trx, table, departmentIdFor(two)), 0, `${table}: department 1 sees department 2's rows`);
        assert.equal(await count(trx, table), 1, `${table}: department 1 sees other rows`);
      });
    }
  });

  it('with both departments set, both are visible; with none, or an empty list, nothing is', async () => {
    for (const table of OWNED) {
      assert.equal(await inDepartments(api, one.tenantId, [departmentIdFor(one), departmentIdFor(two)], (trx) => count(trx, table)), 2, table);
      assert.equal(await inDepartments(api, one.tenantId, null, (trx) => count(trx, table)), 0, `${table}: visible with no department set`);
      assert.equal(await inDepartments(api, one.tenantId, [], (trx) => count(trx, table)), 0, `${table}: visible with an empty department list`);
    }
  });

  it("with department 1 set, department 2's rows cannot be updated or deleted", async () => {
    for (const table of OWNED) {
      const updated = await affectedOrRefused(() =>
        inDepartments(api, one.tenantId, [departmentIdFor(one)], (trx) => trx(table).where({ department_id: departmentIdFor(two) }).update({ department_id: departmentIdFor(two) })));
      assert.equal(updated, 0, `${table}: updated department 2's rows`);
      const deleted = await affectedOrRefused(() =>
        inDepartments(api, one.tenantId, [departmentIdFor(one)], (trx) => trx(table).where({ department_id: departmentIdFor(two) }).delete()));
      assert.equal(deleted, 0, `${table}: deleted department 2's rows`);
    }
    await inWholeTenant(owner, two.tenantId, async (trx) => {
      for (const table of OWNED) assert.equal(await count(trx, table, departmentIdFor(two)), 1, `${table}: department 2 lost its row`);
    });
  });

  it('with department 1 set, rows for department 2 cannot be inserted (and with department 2 set, they can)', async () => {
    for (const table of OWNED) {
      // Fresh keys in department 2, with the rows this one hangs on already there.
      const ctx = placeInDepartment({ ...two }, departmentIdFor(two));
      await inDepartments(owner, ctx.tenantId, [departmentIdFor(two)], async (trx) => {
        for (const parent of PARENTS[table] ?? []) await tenantRowFixtures[parent]!(trx, ctx);
      });
      await assert.rejects(
        inDepartments(api, ctx.tenantId, [departmentIdFor(one)], (trx) => tenantRowFixtures[table]!(trx, ctx)),
        /row-level security/,
        `${table}: insert into department 2 was accepted`,
      );
      await inDepartments(api, ctx.tenantId, [departmentIdFor(two)], (trx) => tenantRowFixtures[table]!(trx, ctx));
    }
  });

  it("with department 1 set, its own rows cannot be moved to department 2", async () => {
    for (const table of OWNED) {
      await assert.rejects(
        inDepartments(api, one.tenantId, [departmentIdFor(one)], (trx) => trx(table).where({ department_id: departmentIdFor(one) }).update({ department_id: departmentIdFor(two) })),
        /row-level security|permission denied/,
        `${table}: moved into department 2`,
      );
    }
  });

  it('a container moves with all its data, imports and runs, only for someone in both departments', async () => {
    const tenantId = one.tenantId;
    const a = departmentIdFor(one);
    const b = await inWholeTenant(owner, tenantId, async (trx) => {
      const [row] = await trx('departments').insert({ tenant_id: tenantId, name: uniqueName('ziel') }).returning('id');
      return (row as { id: string }).id;
    });
    const move = (departments: string[]) => inDepartments(api, tenantId, departments, (trx) =>
      trx('containers').where({ tenant_id: tenantId, department_id: a }).update({ department_id: b }));
    await assert.rejects(move([a]), /row-level security/, 'a member of the source department only');
    assert.equal(await move([b]), 0, 'a member of the target department only does not even see it');
    assert.equal(await move([a, b]), 1);
    await inDepartments(owner, tenantId, [a, b], async (trx) => {
      for (const table of OWNED.filter((x) => x !== 'segmentation_templates')) {
        assert.equal(await count(trx, table, a), 0, `${table}: left behind in the old department`);
        assert.equal(await count(trx, table, b), 1, `${table}: not carried to the new department`);
      }
    });
  });

  it('container data cannot sit in another department than its container', async () => {
    const tenantId = two.tenantId;
    const containerId = randomUUID();
    const elsewhere = departmentIdFor(one);
    const here = departmentIdFor(two);
    await inDepartments(api, tenantId, [here, elsewhere], async (trx) => {
      await trx('containers').insert({ tenant_id: tenantId, department_id: here, id: containerId, name: uniqueName('c') });
    });
    const group = (departmentId: string) => ({
      tenant_id: tenantId, department_id: departmentId, container_id: containerId, group_id: 'G1', kind: 'PK', customer_type: 100, branch: '1', postcode: '12345', age: 40, negative_flag: false, online_logins_12m: 0,
    });
    await assert.rejects(inDepartments(api, tenantId, [here, elsewhere], (trx) => trx('customer_groups').insert(group(elsewhere))), /in its department/);
    await inDepartments(api, tenantId, [here, elsewhere], (trx) => trx('customer_groups').insert(group(here)));
    const product = (departmentId: string) => ({
      tenant_id: tenantId, department_id: departmentId, container_id: containerId, line: 2, group_id: 'G1', product_group: 'GIRO', balance: 1, balance_avg: 1, count: 1,
    });
    await assert.rejects(inDepartments(api, tenantId, [here, elsewhere], (trx) => trx('products').insert(product(elsewhere))), /in its department/);
    await assert.rejects(inDepartments(api, tenantId, [here, elsewhere], (trx) => trx('imports').insert({
      tenant_id: tenantId, department_id: elsewhere, id: randomUUID(), container_id: containerId, kind: 'customer_groups', created_at: new Date(),
    })), /foreign key/);
  });
});
