import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { apiDb, createTenant, ownerDb, uniqueName } from './helpers/db.js';
import { defaultDepartment } from './helpers/departments.js';

/**
 * Container data is checked per statement by triggers (migration 202612011100), not per row by
 * foreign keys. Each rule a foreign key used to enforce is exercised here as the API role,
 * including the two interleavings a foreign key's row locks used to settle.
 */
const owner = ownerDb();
const api = apiDb(4);
let tenantId: string;
let departmentId: string;

before(async () => {
  tenantId = await createTenant(owner);
  departmentId = await defaultDepartment(owner, tenantId);
});
after(async () => {
  await owner.destroy();
  await api.destroy();
});

const inBank = <T>(work: (trx: Knex.Transaction) => Promise<T>) => inWholeTenant(api, tenantId, work);

const group = (containerId: string, groupId: string) => ({
  tenant_id: tenantId, department_id: departmentId, container_id: containerId, group_id: groupId, kind: 'PK', customer_type: 100, branch: '1', postcode: '12345', age: 40, negative_flag: false, online_logins_12m: 0,
});
const product = (containerId: string, line: number, groupId: string) => ({
  tenant_id: tenantId, department_id: departmentId, container_id: containerId, line, group_id: groupId, product_group: 'GIRO', balance: 1, balance_avg: 1, count: 1,
});
const payment = (containerId: string, line: number, groupId: string) => ({
  tenant_id: tenantId, department_id: departmentId, container_id: containerId, line, group_id: groupId, category: 'OTHER', count_12m: 1, sum_12m: 1,
});

async function container(groups: string[] = ['G1', 'G2']): Promise<string> {
  const id = randomUUID();
  await inBank(async (trx) => {
    await trx('containers').insert({ tenant_id: tenantId, department_id: departmentId, id, name: uniqueName('integrity') });
    if (groups.length) await trx('customer_groups').insert(groups.map((g) => group(id, g)));
    if (groups.length) await trx('products').insert(groups.map((g, i) => product(id, i + 2, g)));
    if (groups.length) await trx('payments').insert(groups.map((g, i) => payment(id, i + 2, g)));
  });
  return id;
}

async function counts(containerId: string): Promise<{ groups: number; products: number; payments: number }> {
  return inBank(async (trx) => {
    const n = async (table: string) => Number(((await trx(table).where({ tenant_id: tenantId, container_id: containerId }).count('* as n').first()) as { n: string }).n);
    return { groups: await n('customer_groups'), products: await n('products'), payments: await n('payments') };
  });
}

/** 'waiting' if `work` is still blocked after 300 ms (it keeps running either way). */
async function firstOf(work: Promise<unknown>, done: string): Promise<string> {
  return Promise.race([work.then(() => done, () => done), new Promise<string>((r) => setTimeout(() => r('waiting'), 300))]);
}

const fkViolation = (err: unknown) => (err as { code?: string }).code === '23503';

describe('container data integrity (statement-level checks)', () => {
  it('refuses customer groups of a container that does not exist', async () => {
    await assert.rejects(inBank((trx) => trx('customer_groups').insert([group(randomUUID(), 'G1'), group(randomUUID(), 'G2')])), fkViolation);
  });

  it('refuses products and payments of unknown groups, one container or several per statement', async () => {
    const c1 = await container();
    const c2 = await container();
    await assert.rejects(inBank((trx) => trx('products').insert([product(c1, 10, 'G1'), product(c1, 11, 'NOPE')])), fkViolation);
    await assert.rejects(inBank((trx) => trx('payments').insert([payment(c1, 10, 'G2'), payment(c1, 11, 'NOPE')])), fkViolation);
    // A group of another container does not count, even when it exists there.
    const c3 = await container(['ONLY_IN_C3']);
    await assert.rejects(inBank((trx) => trx('products').insert([product(c1, 12, 'ONLY_IN_C3')])), fkViolation);
    await assert.rejects(inBank((trx) => trx('products').insert([product(c1, 13, 'G1'), product(c2, 13, 'ONLY_IN_C3')])), fkViolation);
    await inBank((trx) => trx('products').insert([product(c1, 14, 'G1'), product(c3, 14, 'ONLY_IN_C3')]));
    assert.deepEqual(await counts(c1), { groups: 2, products: 3, payments: 2 });
  });

  it('deleting a container deletes its data and nothing else', async () => {
    const gone = await container();
    const kept = await container();
    await inBank((trx) => trx('containers').where({ tenant_id: tenantId, id: gone }).delete());
    assert.deepEqual(await counts(gone), { groups: 0, products: 0, payments: 0 });
    assert.deepEqual(await counts(kept), { groups: 2, products: 2, payments: 2 });
  });

  it('deleting customer groups deletes their products and payments only', async () => {
    const c = await container(['G1', 'G2', 'G3']);
    await inBank((trx) => trx('customer_groups').where({ tenant_id: tenantId, container_id: c, group_id: 'G2' }).delete());
    assert.deepEqual(await counts(c), { groups: 2, products: 2, payments: 2 });
    const left = await inBank((trx) => trx('products').where({ tenant_id: tenantId, container_id: c }).orderBy('group_id').pluck('group_id'));
    assert.deepEqual(left, ['G1', 'G3']);
  });

  it('the keys data hangs on cannot change', async () => {
    const c = await container();
    await assert.rejects(inBank((trx) => trx('containers').where({ tenant_id: tenantId, id: c }).update({ id: randomUUID() })), fkViolation);
    // The API may not update data rows at all; the owner, who may, is held by the same rule.
    await assert.rejects(inBank((trx) => trx('customer_groups').where({ tenant_id: tenantId, container_id: c }).update({ group_id: 'X' })), /permission denied/);
    for (const [table, change] of [['customer_groups', { group_id: 'X' }], ['products', { group_id: 'G2' }], ['payments', { container_id: randomUUID() }]] as const) {
      await assert.rejects(inWholeTenant(owner, tenantId, (trx) => trx(table).where({ tenant_id: tenantId, container_id: c }).update(change)), fkViolation, table);
    }
    // Other columns stay writable for whoever holds the privilege.
    await inBank((trx) => trx('containers').where({ tenant_id: tenantId, id: c }).update({ name: uniqueName('renamed') }));
  });

  it('a container deleted while groups are being added takes them along', async () => {
    const c = await container([]);
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let inserted!: () => void;
    const insertedSignal = new Promise<void>((r) => { inserted = r; });
    const adding = inBank(async (trx) => {
      await trx('customer_groups').insert([group(c, 'A'), group(c, 'B')]);
      inserted();
      await held;
    });
    await insertedSignal;
    const deleting = inBank((trx) => trx('containers').where({ tenant_id: tenantId, id: c }).delete());
    // The delete must wait for the open insert (its container lock), not pass it.
    const early = await firstOf(deleting, 'deleted');
    release();
    await adding;
    await deleting;
    assert.equal(early, 'waiting');
    assert.deepEqual(await counts(c), { groups: 0, products: 0, payments: 0 });
  });

  it('products added after their groups were deleted in a concurrent transaction are refused', async () => {
    const c = await container(['G1']);
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let deletedSignal!: () => void;
    const deleted = new Promise<void>((r) => { deletedSignal = r; });
    const deleting = inBank(async (trx) => {
      await trx('customer_groups').where({ tenant_id: tenantId, container_id: c }).delete();
      deletedSignal();
      await held;
    });
    await deleted;
    const adding = inBank((trx) => trx('products').insert([product(c, 50, 'G1')]));
    const early = await firstOf(adding, 'finished');
    release();
    await deleting;
    await assert.rejects(adding, fkViolation);
    assert.equal(early, 'waiting');
    assert.deepEqual(await counts(c), { groups: 0, products: 0, payments: 0 });
  });
});
