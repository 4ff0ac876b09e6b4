import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Logger as WorkerLogger, run, type Runner, type TaskList, type WorkerEvents } from 'graphile-worker';
import type { Knex } from 'knex';
import pg from 'pg';
import { createKnex } from '../db/connection.js';
import type { Logger } from '../log/logger.js';
import * as store from './jobs-store.js';

/** What the import and calculation services need of a queue: add a job inside the request's transaction. */
export interface JobQueue<Job> {
  /** Adds the job in `trx`: it exists exactly when the row that describes it has committed. */
  enqueue(trx: Knex.Transaction, job: Job): Promise<void>;
  /** Resolves when no job of this queue is waiting or running anywhere (tests, shutdown). */
  idle(): Promise<void>;
}

export interface TaskSpec<Job extends { tenantId: string }> {
  /** The queue's name: `import`, `calculation`. */
  name: string;
  /** Its input is a file on this instance: only this instance may run it. */
  local: boolean;
  /** Runs the job and records its outcome; a throw is a crash (logged, the job counts as done). */
  run(job: Job): Promise<void>;
  /** The job's instance died or the queue gave it up: record it failed for the user. */
  lost(job: Job): Promise<void>;
}

export interface JobQueuesOptions {
  /** The API role's connection settings: the job library and the heartbeat get their own small pools. */
  connection: pg.ClientConfig;
  logger: Logger;
  /** Jobs run here at once (all queues together): default cores − 1, at least 1 (config.ts). */
  concurrency: number;
  /** Task identifiers start with it: one cluster's jobs (tests give each app its own). */
  namespace?: string;
  heartbeatMs?: number;
  /** An instance whose heartbeat is older than this is dead; its jobs are failed. */
  deadAfterMs?: number;
  sweepMs?: number;
  /** How long stop() waits for running jobs before it leaves them to the other instances' sweep. */
  stopWaitMs?: number;
  /** This instance's cluster-key fingerprint (cluster-keys.ts), written with every heartbeat. */
  keyFingerprint?: string;
}

const SECOND = 1000;

/**
 * The PostgreSQL job queue of one instance, on graphile-worker (pinned 0.16.6). Jobs are rows in
 * its schema, added in the request's transaction; any instance's workers take them (LISTEN/NOTIFY,
 * SKIP LOCKED). Each bank has a named queue per kind, which graphile-worker runs one job at a time
 * across all instances; the priority set by `store.addJob` makes the banks take turns. Leases:
 * a running job is locked by a worker, and every instance writes a heartbeat with its workers'
 * ids; a job locked by a worker of no live instance (or bound to a dead instance's spool) is
 * failed for the user by whichever instance sweeps first, and removed, unlocking its bank's queue.
 * No instance touches a job whose worker belongs to an instance with a fresh heartbeat.
 */
export class JobQueues {
  readonly instanceId = randomUUID();
  readonly namespace: string;
  private readonly specs = new Map<string, TaskSpec<{ tenantId: string }>>();
  private readonly workerIds = new Set<string>();
  private readonly heartbeatMs: number;
  private readonly deadAfterMs: number;
  private readonly sweepMs: number;
  private runner: Runner | undefined;
  private pool: pg.Pool | undefined;
  private control: Knex | undefined;
  private timers: NodeJS.Timeout[] = [];
  private sweeping: Promise<unknown> = Promise.resolve();
  private running = 0;

  constructor(private readonly o: JobQueuesOptions) {
    this.namespace = o.namespace ?? 'kontor';
    this.heartbeatMs = o.heartbeatMs ?? 5 * SECOND;
    this.deadAfterMs = o.deadAfterMs ?? 30 * SECOND;
    this.sweepMs = o.sweepMs ?? 10 * SECOND;
  }

  /** The task identifier of a queue: local ones carry this instance's id (only it fetches them). */
  private identifier(spec: { name: string; local: boolean }): string {
    return spec.local ? `${this.namespace}:${spec.name}@${this.instanceId}` : `${this.namespace}:${spec.name}`;
  }

  /** Declares a queue (before start). */
  define<Job extends { tenantId: string }>(spec: TaskSpec<Job>): JobQueue<Job> {
    this.specs.set(spec.name, spec);
    const identifier = this.identifier(spec);
    const prefix = `${this.namespace}:${spec.name}`;
    return {
      enqueue: async (trx, job) => {
        const payload = spec.local ? { ...job, instance: this.instanceId } : job;
        await store.addJob(trx, { identifier, payload, queueName: `${prefix}:${job.tenantId}` });
      },
      idle: () => this.idle(prefix),
    };
  }

  /** The control connection (heartbeats, sweeps): its own, so a busy request pool never delays a heartbeat. */
  private db(): Knex {
    if (!this.control) throw new Error('job queues not started');
    return this.control;
  }

  async start(): Promise<void> {
    this.control = createKnex(this.o.connection, 2);
    this.pool = new pg.Pool({ ...this.o.connection, max: 3 });
    this.pool.on('error', () => this.o.logger.warn('job queue connection lost'));
    const taskList: TaskList = {};
    for (const spec of this.specs.values()) {
      taskList[this.identifier(spec)] = async (payload) => {
        this.running++;
        try {
          await spec.run(payload as { tenantId: string });
        } catch (err) {
          this.o.logger.error({ queue: spec.name, errName: (err as Error).name }, 'job crashed');
        } finally {
          this.running--;
        }
      };
    }
    const logger = this.o.logger;
    const workerLogger = new WorkerLogger(() => (level, _message, meta) => {
      // The library's texts may quote SQL or errors: only the level and ids go to our log.
      const ids = { workerId: (meta as { workerId?: string } | undefined)?.workerId };
      const name = String(level);
      if (name === 'error') logger.error(ids, 'job library error');
      else if (name === 'warning') logger.warn(ids, 'job library warning');
    });
    const events = new EventEmitter() as WorkerEvents;
    // Each worker's id is its lease holder name (`locked_by`): the heartbeat lists them.
    events.on('worker:create', ({ worker }) => {
      this.workerIds.add(worker.workerId);
    });
    this.runner = await run({
      pgPool: this.pool, schema: store.JOB_SCHEMA, concurrency: this.o.concurrency, noHandleSignals: true,
      pollInterval: 2 * SECOND, taskList, logger: workerLogger, events,
    });
    await this.beat();
    this.timers.push(setInterval(() => void this.beat(), this.heartbeatMs));
    this.timers.push(setInterval(() => void this.sweep(), this.sweepMs));
    for (const t of this.timers) t.unref();
    this.o.logger.info({ instance: this.instanceId, concurrency: this.o.concurrency }, 'job queues started');
  }

  private async beat(): Promise<void> {
    try {
      await store.heartbeat(this.db(), this.instanceId, [...this.workerIds], this.o.keyFingerprint ?? null);
    } catch {
      this.o.logger.warn({ instance: this.instanceId }, 'job heartbeat failed');
    }
  }

  /**
   * Fails and removes the jobs nobody alive will finish (any instance may do it; doing it twice
   * changes nothing: a row is failed only while it is queued or running). Returns how many.
   */
  sweep(): Promise<number> {
    const next = this.sweeping.then(async () => {
      let count = 0;
      try {
        const lost = await store.lostJobs(this.db(), `${this.namespace}:`, Math.round(this.deadAfterMs / SECOND));
        for (const job of lost) {
          const name = job.identifier.slice(this.namespace.length + 1).split('@')[0]!;
          const spec = this.specs.get(name);
          if (spec) await spec.lost(job.payload as { tenantId: string });
        }
        if (lost.length) {
          await store.dropJobs(this.db(), lost);
          this.o.logger.warn({ jobs: lost.length }, 'jobs of a stopped instance failed');
        }
        count = lost.length;
      } catch (err) {
        this.o.logger.warn({ errName: (err as Error).name }, 'job sweep failed');
      }
      return count;
    });
    this.sweeping = next;
    return next;
  }

  private async idle(prefix: string): Promise<void> {
    for (;;) {
      if (this.running === 0 && (await store.pendingJobs(this.db(), prefix)) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Takes no new jobs, waits a while for the running ones, then leaves the rest to the sweep of the others. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.runner) {
      const runner = this.runner;
      this.runner = undefined;
      const wait = new Promise<void>((resolve) => setTimeout(resolve, this.o.stopWaitMs ?? 20 * SECOND).unref());
      await Promise.race([runner.stop().catch(() => undefined), wait]);
    }
    await this.sweeping;
    if (this.control) {
      // Jobs still running here (the wait ran out) become the others' to fail once this row is gone.
      if (this.running === 0) await store.removeInstance(this.control, this.instanceId).catch(() => undefined);
      await this.control.destroy();
      this.control = undefined;
    }
    await this.pool?.end().catch(() => undefined);
    this.pool = undefined;
  }
}
