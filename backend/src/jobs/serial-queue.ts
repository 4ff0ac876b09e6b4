/**
 * Background jobs run one at a time per process: an import or a calculation saturates a core (or
 * the database); two at once would only slow both. `run` reports its own outcome; a throw is a crash.
 */
export class SerialQueue<Job> {
  private readonly waiting: Job[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly run: (job: Job) => Promise<void>,
    private readonly onCrash: (job: Job, err: unknown) => void,
  ) {}

  enqueue(job: Job): void {
    this.waiting.push(job);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when nothing is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (let job = this.waiting.shift(); job !== undefined; job = this.waiting.shift()) {
      const current = job;
      await this.run(current).catch((err: unknown) => this.onCrash(current, err));
    }
  }
}
