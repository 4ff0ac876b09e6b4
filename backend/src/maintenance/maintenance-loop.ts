import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import { claimRun } from './cluster-store.js';

/** A periodic task: a plain async function of the time, run once per interval in the cluster. */
export interface PeriodicTask {
  /** Its slot in maintenance_runs. */
  name: string;
  everySeconds: number;
  run(now: Date): Promise<unknown>;
}

/**
 * The maintenance loop of the cluster's leader (ClusterLeader): every `checkMs` it claims each
 * task whose interval has passed (maintenance_runs, atomically, so even two loops at once would
 * run a slot once) and runs it. Add periodic work here, not as a timer of its own.
 */
export class MaintenanceLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly d: { db: Knex; clock: Clock; logger: Logger; tasks: PeriodicTask[]; instanceId: string; checkMs?: number }) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running = this.running.then(() => this.runDue());
    };
    this.timer = setInterval(tick, this.d.checkMs ?? 30_000);
    this.timer.unref();
    tick();
  }

  private async runDue(): Promise<void> {
    for (const task of this.d.tasks) {
      try {
        if (!(await claimRun(this.d.db, task.name, task.everySeconds, this.d.instanceId))) continue;
        const outcome = await task.run(this.d.clock.now());
        this.d.logger.info({ task: task.name, ...(outcome && typeof outcome === 'object' ? outcome : {}) }, 'periodic task run');
      } catch (err) {
        this.d.logger.error({ task: task.name, errName: (err as Error).name }, 'periodic task failed');
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
