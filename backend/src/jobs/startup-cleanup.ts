import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { allTenantIds } from '../auth/auth-store.js';
import { inWholeTenant } from '../db/tenant-transaction.js';
import { failUnfinishedCalculations } from '../calculations/calculations-store.js';
import { failUnfinished } from '../imports/import-store.js';
import { payloadIdsWithJob } from './jobs-store.js';

/**
 * Start-up clean-up of background work (not password recovery): queued or running imports and
 * calculations that have no job in the queue are failed, per tenant — rows a version before the
 * job queue left behind, or whose job the library dropped. Work that has a job is left alone,
 * whichever instance runs it: a stopped instance's jobs are failed by the queue's sweep
 * (jobs/job-queue.ts) once its heartbeat is stale, never at another instance's start.
 */
export async function failJoblessWork(db: Knex, clock: Clock, namespace = 'kontor', tenantIds?: string[]): Promise<number> {
  let count = 0;
  for (const tenantId of tenantIds ?? (await allTenantIds(db))) {
    count += await inWholeTenant(db, tenantId, async (trx) =>
      (await failUnfinished(trx, tenantId, clock.now(), { except: payloadIdsWithJob(trx, `${namespace}:import`, 'importId') }))
      + (await failUnfinishedCalculations(trx, tenantId, clock.now(), { except: payloadIdsWithJob(trx, `${namespace}:calculation`, 'calculationId') })));
  }
  return count;
}
