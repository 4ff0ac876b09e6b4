import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { allTenantIds } from '../auth/auth-store.js';
import { inWholeTenant } from '../db/tenant-transaction.js';
import { failUnfinishedCalculations } from '../calculations/calculations-store.js';
import { failUnfinished } from './import-store.js';

/** At start-up no import can be running: mark every queued or running one failed, per tenant. */
export async function failInterruptedImports(db: Knex, clock: Clock): Promise<number> {
  let count = 0;
  for (const tenantId of await allTenantIds(db)) {
    count += await inWholeTenant(db, tenantId, (trx) => failUnfinished(trx, tenantId, clock.now()));
  }
  return count;
}

/** At start-up no calculation can be running either: its transaction died with the process. */
export async function failInterruptedCalculations(db: Knex, clock: Clock): Promise<number> {
  let count = 0;
  for (const tenantId of await allTenantIds(db)) {
    count += await inWholeTenant(db, tenantId, (trx) => failUnfinishedCalculations(trx, tenantId, clock.now()));
  }
  return count;
}
