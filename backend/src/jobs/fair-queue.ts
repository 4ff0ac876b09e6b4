/** What the import and calculation services need of a job queue; a PostgreSQL-backed one (leases) can take its place. */
export interface JobQueue<Job> {
  /** Call after the row of the job has committed. */
  enqueue(job: Job): void;
  /** Resolves when nothing is queued or running (tests, shutdown). */
  idle(): Promise<void>;
}

/**
 * Background jobs of every bank in one process, fair across banks: a small pool of workers, at
 * most one running job per bank, and a free worker takes the next bank in turn (round-robin).
 * So one bank's slow job, or its many queued jobs, never hold up another bank's; and one bank
 * cannot take the whole machine. `run` reports its own outcome; a throw is a crash.
 */
export class FairQueue<Job extends { tenantId: string }> implements JobQueue<Job> {
  /** Waiting jobs per bank, in the order they arrived. */
  private readonly waiting = new Map<string, Job[]>();
  private readonly running = new Set<string>();
  /** When each bank last started a job (one entry per bank that ever ran one). */
  private readonly lastTurn = new Map<string, number>();
  private turns = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly run: (job: Job) => Promise<void>,
    private readonly onCrash: (job: Job, err: unknown) => void,
    private readonly workers = 2,
  ) {}

  enqueue(job: Job): void {
    const list = this.waiting.get(job.tenantId);
    if (list) list.push(job);
    else this.waiting.set(job.tenantId, [job]);
    this.pump();
  }

  idle(): Promise<void> {
    if (this.running.size === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running.size < this.workers) {
      // The waiting bank whose last turn lies furthest back (never: first), ties in arrival order.
      let next: string | undefined;
      let nextTurn = Infinity;
      for (const tenantId of this.waiting.keys()) {
        const turn = this.lastTurn.get(tenantId) ?? -1;
        if (!this.running.has(tenantId) && turn < nextTurn) {
          next = tenantId;
          nextTurn = turn;
        }
      }
      if (next === undefined) break;
      const list = this.waiting.get(next)!;
      const job = list.shift()!;
      if (!list.length) this.waiting.delete(next);
      this.lastTurn.set(next, this.turns++);
      this.start(job);
    }
    if (this.running.size === 0 && this.waiting.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private start(job: Job): void {
    this.running.add(job.tenantId);
    void this.run(job)
      .catch((err: unknown) => {
        try {
          this.onCrash(job, err);
        } catch {
          // Reporting a crash must not stop the queue.
        }
      })
      .finally(() => {
        this.running.delete(job.tenantId);
        this.pump();
      });
  }
}
