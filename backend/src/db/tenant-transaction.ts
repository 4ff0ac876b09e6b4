import type { Knex } from 'knex';

/**
 * Runs `work` in one transaction whose row-level-security tenant is `tenantId`.
 * `set_config(..., true)` is transaction-local, so a pooled connection never carries a tenant over.
 * The one statement outside a `*-store.ts` on purpose: this is the transaction primitive every store
 * runs inside, not a query of any business area.
 */
export async function inTenant<T>(db: Knex, tenantId: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
    return work(trx);
  });
}
