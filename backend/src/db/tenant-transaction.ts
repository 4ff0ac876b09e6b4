import type { Knex } from 'knex';

/**
 * Runs `work` in one transaction whose row-level-security tenant is `tenantId`, with no
 * department: department-owned tables (containers and their data, runs, templates) show nothing.
 * `set_config(..., true)` is transaction-local, so a pooled connection never carries a tenant over.
 * The one statement outside a `*-store.ts` on purpose: this is the transaction primitive every store
 * runs inside, not a query of any business area.
 */
export async function inTenant<T>(db: Knex, tenantId: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw("select set_config('app.tenant_id', ?, true), set_config('app.department_ids', '', true)", [tenantId]);
    return work(trx);
  });
}

/** Every department of the transaction's tenant, as `app.department_ids` (bind: the tenant id). */
export const ALL_DEPARTMENTS_SQL = {
  knex: "select set_config('app.department_ids', coalesce((select array_agg(id)::text from departments where tenant_id = ?), '{}'), true)",
  pg: "select set_config('app.department_ids', coalesce((select array_agg(id)::text from departments where tenant_id = $1), '{}'), true)",
};

/**
 * `inTenant` with every department of the bank: for the bank's own background work that a request
 * has already authorised (an import or calculation job, retention, start-up clean-up, backups,
 * the demo). Never for a user's request: the guard sets that user's departments.
 */
export async function inWholeTenant<T>(db: Knex, tenantId: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
    await seeAllDepartments(trx, tenantId);
    return work(trx);
  });
}

/** Widens the transaction to every department of its tenant (again after one was created in it). */
export async function seeAllDepartments(trx: Knex.Transaction, tenantId: string): Promise<void> {
  await trx.raw(ALL_DEPARTMENTS_SQL.knex, [tenantId]);
}
