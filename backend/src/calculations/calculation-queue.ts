import type { Knex } from 'knex';
import type { JobQueue, JobQueues } from '../jobs/job-queue.js';
import { CALCULATION_ERRORS, type CalculationErrorCode } from '../http/error-catalogue.js';
import { recordAudit } from '../audit/audit-store.js';
import type { Clock } from '../clock.js';
import { inWholeTenant } from '../db/tenant-transaction.js';
import type { Logger } from '../log/logger.js';
import { createPartsTable, leasingSlice, nextCut, preferOrderedPlans, segmentSlice, summedParts, type RunTarget } from './calculation-run-store.js';
import * as store from './calculations-store.js';
import { leasingAggregates, segmentationAggregates } from './summaries.js';
import type { CalculationKind, LeasingParams, TemplateDefinition } from './definitions.js';

export interface CalculationJob {
  tenantId: string;
  calculationId: string;
  containerId: string;
  kind: CalculationKind;
  /** The template copy (segmentation) or the effective parameters (leasing) stored with the run. */
  definition: TemplateDefinition | LeasingParams;
  userId: string;
}

/** About this many groups per statement: enough to keep PostgreSQL efficient, few enough to report progress. */
const SLICE_GROUPS = 50_000;

class CalculationFailure extends Error {
  /** The English sentence stored with the run (the SPA says it in the user's language by `code`). */
  readonly reason: string;
  constructor(readonly code: CalculationErrorCode) {
    super(code);
    this.reason = CALCULATION_ERRORS[code].message;
  }
}

/** What went wrong, in words a user can act on; never the database's own message (it may quote data). */
function failureOf(err: unknown): CalculationFailure {
  if (err instanceof CalculationFailure) return err;
  const code = (err as { code?: string }).code;
  if (code === '57014') return new CalculationFailure('timeout');
  if (code === '22003') return new CalculationFailure('numeric_overflow');
  return new CalculationFailure('internal_error');
}

/**
 * Runs calculations in the background on the PostgreSQL job queue (jobs/job-queue.ts), on any
 * instance, at most one per bank at a time, banks taking turns. A run's results, its summary
 * and its final status commit in one transaction, so a failure leaves no partial results. The
 * container row is share-locked for the run: an import into it waits until the run has finished.
 */
export class CalculationQueue {
  private readonly queue: JobQueue<CalculationJob>;

  constructor(private readonly d: { db: Knex; clock: Clock; logger: Logger; timeoutMs: number; queues: JobQueues }) {
    this.queue = d.queues.define<CalculationJob>({
      name: 'calculation', local: false, run: (job) => this.run(job),
      lost: (job) => inWholeTenant(d.db, job.tenantId, (trx) => store.failUnfinishedCalculations(trx, job.tenantId, d.clock.now(), { only: [job.calculationId] })).then(() => undefined),
    });
  }

  /** Adds the job in the request's transaction, with the run's row. */
  enqueue(trx: Knex.Transaction, job: CalculationJob): Promise<void> {
    return this.queue.enqueue(trx, job);
  }

  /** Resolves when nothing is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async run(job: CalculationJob): Promise<void> {
    const { db, clock, logger } = this.d;
    const started = clock.now();
    const startedMs = Date.now();
    const setProgress = (progress: number) => inWholeTenant(db, job.tenantId, (trx) => store.updateCalculation(trx, job.tenantId, job.calculationId, { progress }));
    await inWholeTenant(db, job.tenantId, (trx) => store.updateCalculation(trx, job.tenantId, job.calculationId, { status: 'running', started_at: started }));
    logger.info({ calculationId: job.calculationId, kind: job.kind }, 'calculation started');
    try {
      const outcome = await inWholeTenant(db, job.tenantId, async (trx) => {
        await store.limitStatementTime(trx, this.d.timeoutMs);
        const held = await store.lockContainerForRun(trx, job.tenantId, job.containerId);
        if (held === undefined) throw new CalculationFailure('container_gone');
        const groups = held.groups;
        if (groups === 0) throw new CalculationFailure('no_data');
        const target: RunTarget = { tenantId: job.tenantId, departmentId: held.departmentId, containerId: job.containerId, calculationId: job.calculationId };
        await createPartsTable(trx);
        const restorePlanSettings = await preferOrderedPlans(trx);
        const count = Math.ceil(groups / SLICE_GROUPS);
        let results = 0;
        let from = '';
        for (let i = 0; i < count; i++) {
          const to = i < count - 1 ? await nextCut(trx, job.tenantId, job.containerId, from, SLICE_GROUPS) : null;
          const slice = { from, to };
          results += job.kind === 'segmentation'
            ? await segmentSlice(trx, target, job.definition as TemplateDefinition, slice, i)
            : await leasingSlice(trx, target, job.definition as LeasingParams, slice, i);
          if (i < count - 1) await setProgress((i + 1) / count);
          if (to === null) break;
          from = to;
        }
        await restorePlanSettings();
        const parts = await summedParts(trx);
        const summary = job.kind === 'segmentation'
          ? segmentationAggregates(parts, job.definition as TemplateDefinition)
          : leasingAggregates(parts);
        const finished = clock.now();
        const durationMs = Date.now() - startedMs;
        await store.updateCalculation(trx, job.tenantId, job.calculationId, {
          status: 'succeeded', progress: 1, finished_at: finished, groups_count: groups, results_count: results, summary: JSON.stringify(summary),
        });
        await store.markContainerCalculated(trx, job.tenantId, job.containerId, finished);
        await recordAudit(trx, {
          tenantId: job.tenantId, actorUserId: job.userId, type: 'calculation.succeeded', subjectType: 'container', subjectId: job.containerId,
          details: { calculation: job.calculationId, kind: job.kind, groups, results, durationMs },
        }, finished);
        return { groups, results, durationMs };
      });
      logger.info({ calculationId: job.calculationId, ...outcome }, 'calculation succeeded');
    } catch (err) {
      const failure = failureOf(err);
      if (failure.code === 'internal_error') logger.error({ calculationId: job.calculationId, errName: (err as Error).name, code: (err as { code?: string }).code}, 'calculation error');
      const finished = clock.now();
      await inWholeTenant(db, job.tenantId, async (trx) => {
        const updated = await store.updateCalculation(trx, job.tenantId, job.calculationId, {
          status: 'failed', finished_at: finished, error_code: failure.code, error_message: failure.reason,
        });
        if (updated === 0) return; // deleted with its container meanwhile
        await recordAudit(trx, {
          tenantId: job.tenantId, actorUserId: job.userId, type: 'calculation.failed', level: 'error', subjectType: 'container', subjectId: job.containerId,
          details: { calculation: job.calculationId, kind: job.kind, reason: failure.code, durationMs: Date.now() - startedMs },
        }, finished);
      });
      logger.info({ calculationId: job.calculationId, reason: failure.code }, 'calculation failed');
    }
  }
}
