import pg from 'pg';
import type { Logger } from '../log/logger.js';
import { checkConnection, tryLeaderLock } from './cluster-store.js';

/** Any int8: the advisory lock whose holder runs the cluster's periodic work. */
export const MAINTENANCE_LOCK = 7_240_119_019;

/**
 * Exactly one instance of a cluster at a time runs the periodic work (retention, syslog
 * shipping, checkpoint signing, warning mails): the one whose own connection holds a PostgreSQL
 * session advisory lock. The others try again every few seconds; when the leader stops or dies
 * its connection ends, PostgreSQL drops the lock, and the next to try takes over. The leader
 * checks its connection as often: on an error it stops leading at once (and the lock is gone).
 */
export class ClusterLeader {
  private client: pg.Client | undefined;
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly d: {
    connection: pg.ClientConfig;
    logger: Logger;
    onLead: () => void;
    onLose: () => Promise<void>;
    checkMs?: number;
  }) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.d.checkMs ?? 5000);
    this.timer.unref();
    this.tick();
  }

  private tick(): void {
    this.busy = this.busy.then(() => this.check()).catch(() => undefined);
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.client) {
        const client = new pg.Client(this.d.connection);
        client.on('error', () => void this.lose());
        await client.connect();
        this.client = client;
      }
      if (this.leading) {
        await checkConnection(this.client);
        return;
      }
      if ((await tryLeaderLock(this.client, MAINTENANCE_LOCK)) && !this.stopped) {
        this.leading = true;
        this.d.logger.info('maintenance leader: this instance');
        this.d.onLead();
      }
    } catch {
      await this.lose();
    }
  }

  private async lose(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (this.leading) {
      this.leading = false;
      this.d.logger.warn('maintenance leader: lost the lock connection, stopping periodic work');
      await this.d.onLose().catch(() => undefined);
    }
    await client?.end().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.busy;
    if (this.leading) {
      this.leading = false;
      await this.d.onLose().catch(() => undefined);
    }
    // Ending the session releases the lock: another instance takes over within its next check.
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}
