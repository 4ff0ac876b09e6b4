import type { Knex } from 'knex';
import { DEFAULT_DEPARTMENT_NAME } from '../../src/departments/departments-store.js';
import { inTenant } from '../../src/db/tenant-transaction.js';
import { uniqueName } from './db.js';

/** The bank's "Gesamthaus" (created if the fixture bank has none yet), as every bank has one. */
export async function defaultDepartment(db: Knex, tenantId: string): Promise<string> {
  return inTenant(db, tenantId, async (trx) => {
    await trx('departments').insert({ tenant_id: tenantId, name: DEFAULT_DEPARTMENT_NAME }).onConflict(['tenant_id', 'name']).ignore();
    return (await trx('departments').where({ tenant_id: tenantId, name: DEFAULT_DEPARTMENT_NAME }).first<{ id: string }>('id')).id;
  });
}

/** A further department of the bank. */
export async function addDepartment(db: Knex, tenantId: string, name = uniqueName('Bereich')): Promise<string> {
  return inTenant(db, tenantId, async (trx) => {
    const [row] = await trx('departments').insert({ tenant_id: tenantId, name }).returning('id');
    return (row as { id: string }).id;
  });
}

/** Replaces the member's departments. */
export async function setDepartments(db: Knex, tenantId: string, userId: string, departmentIds: string[]): Promise<void> {
  await inTenant(db, tenantId, async (trx) => {
    await trx('membership_departments').where({ tenant_id: tenantId, user_id: userId }).delete();
    if (departmentIds.length) await trx('membership_departments').insert(departmentIds.map((d) => ({ tenant_id: tenantId, user_id: userId, department_id: d })));
  });
}
