import fs from 'node:fs';
import { importError } from '../http/error-catalogue.js';
import type { Knex } from 'knex';
import type { JobQueue, JobQueues } from '../jobs/job-queue.js';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit-store.js';
import { inWholeTenant } from '../db/tenant-transaction.js';
import type { Logger } from '../log/logger.js';
import type { ImportKind } from './formats.js';
import { runImport } from './import-runner.js';
import * as store from './import-store.js';

export interface ImportJob {
  tenantId: string;
  importId: string;
  containerId: string;
  kind: ImportKind;
  file: string;
  userId: string;
}

const PROGRESS_EVERY_MS = 500;

/**
 * Runs imports in the background on the PostgreSQL job queue (jobs/job-queue.ts): at most one per
 * bank across all instances, banks taking turns, each on the instance that holds its spool file
 * (a local queue: the upload was spooled to this instance's $KONTOR_HOME). Progress goes to the
 * imports row; the spool file is deleted at the end whatever the outcome.
 */
export class ImportQueue {
  private readonly queue: JobQueue<ImportJob>;

  constructor(private readonly d: { db: Knex; clock: Clock; logger: Logger; queues: JobQueues }) {
    this.queue = d.queues.define<ImportJob>({
      name: 'import', local: true, run: (job) => this.run(job),
      lost: (job) => this.lost(job),
    });
  }

  /** Adds the job in the request's transaction, with the import's row. */
  enqueue(trx: Knex.Transaction, job: ImportJob): Promise<void> {
    return this.queue.enqueue(trx, job);
  }

  /** Its instance stopped: the import fails as after a restart (its data transaction died with it). */
  private async lost(job: ImportJob): Promise<void> {
    await inWholeTenant(this.d.db, job.tenantId, (trx) => store.failUnfinished(trx, job.tenantId, this.d.clock.now(), { only: [job.importId] }));
    fs.rmSync(job.file, { force: true });
  }

  /** Resolves when nothing is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async run(job: ImportJob): Promise<void> {
    const { db, clock, logger } = this.d;
    const set = (fields: Record<string, unknown>) => inWholeTenant(db, job.tenantId, (trx) => store.updateImport(trx, job.tenantId, job.importId, fields));
    await set({ status: 'running', started_at: clock.now() });
    logger.info({ importId: job.importId, kind: job.kind }, 'import started');
    let lastReport = 0;
    let pending: Promise<void> = Promise.resolve();
    try {
      const outcome = await runImport({
        db, tenantId: job.tenantId, containerId: job.containerId, kind: job.kind, file: job.file, now: clock.now(),
        onProgress: (p) => {
          const now = Date.now();
          if (now - lastReport < PROGRESS_EVERY_MS) return;
          lastReport = now;
          pending = pending.then(() => set({ bytes_processed: p.bytesProcessed, rows_processed: p.rowsProcessed })).catch(() => undefined);
        },
      });
      await pending;
      const finished = clock.now();
      await inWholeTenant(db, job.tenantId, async (trx) => {
        await store.updateImport(trx, job.tenantId, job.importId, {
          status: outcome.ok ? 'succeeded' : 'failed', finished_at: finished,
          bytes_processed: fs.statSync(job.file).size, rows_processed: outcome.rowsProcessed, rows_imported: outcome.rowsImported,
          error_count: outcome.errorCount, errors: JSON.stringify(outcome.errors),
        });
        await recordAudit(trx, {
          tenantId: job.tenantId, actorUserId: job.userId, type: outcome.ok ? 'import.succeeded' : 'import.failed', level: 'info',
          subjectType: 'container', subjectId: job.containerId,
          details: { import: job.importId, kind: job.kind, rows: outcome.rowsImported, errors: outcome.errorCount },
        }, finished);
      });
      logger.info({ importId: job.importId, rows: outcome.rowsImported, errors: outcome.errorCount }, outcome.ok ? 'import succeeded' : 'import failed');
    } catch (err) {
      await pending;
      await inWholeTenant(db, job.tenantId, async (trx) => {
        await store.updateImport(trx, job.tenantId, job.importId, {
          status: 'failed', finished_at: clock.now(), error_count: 1,
          errors: JSON.stringify([importError('internal_error', { line: null, column: null })]),
        });
        await recordAudit(trx, {
          tenantId: job.tenantId, actorUserId: job.userId, type: 'import.failed', level: 'error',
          subjectType: 'container', subjectId: job.containerId, details: { import: job.importId, kind: job.kind },
        }, clock.now());
      });
      throw err;
    } finally {
      fs.rmSync(job.file, { force: true });
    }
  }
}
