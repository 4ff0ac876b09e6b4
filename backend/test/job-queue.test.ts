import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { JobQueues, type JobQueue } from '../src/jobs/job-queue.js';
import { connectionConfig } from '../src/db/connection.js';
import { apiDb, uniqueName } from './helpers/db.js';
import { capturingLogger } from './helpers/logger.js';

interface Job { tenantId: string; name: string }

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One instance's queue whose jobs finish only when the test says so. */
function instance(db: Knex, namespace: string, opts: { concurrency: number; deadAfterMs?: number }) {
  const started: string[] = [];
  const lost: string[] = [];
  const release = new Map<string, () => void>();
  const queues = new JobQueues({
    connection: connectionConfig(db), logger: capturingLogger().logger, namespace, concurrency: opts.concurrency,
    heartbeatMs: 200, deadAfterMs: opts.deadAfterMs ?? 2000, sweepMs: 3_600_000, stopWaitMs: 1000,
  });
  const queue: JobQueue<Job> = queues.define<Job>({
    name: 'work', local: false,
    run: (job) => new Promise<void>((resolve) => {
      started.push(job.name);
      release.set(job.name, resolve);
    }),
    lost: async (job) => {
      lost.push(job.name);
    },
  });
  const add = (job: Job) => db.transaction((trx) => queue.enqueue(trx, job));
  const finish = async (name: string) => {
    await until(`${name} to start`, () => release.has(name));
    release.get(name)!();
  };
  return { queues, queue, started, lost, add, finish };
}

describe('PostgreSQL job queue', () => {
  let db: Knex;
  before(() => {
    db = apiDb(4);
  });
  after(async () => {
    await db.destroy();
  });

  it('one bank never waits behind another: at most one job per bank runs, banks take turns', async () => {
    const a = instance(db, uniqueName('fair'), { concurrency: 2 });
    await a.queues.start();
    try {
      for (let i = 1; i <= 3; i++) await a.add({ tenantId: 'A', name: `A${i}` });
      await a.add({ tenantId: 'B', name: 'B1' });
      await a.add({ tenantId: 'B', name: 'B2' });
      await a.add({ tenantId: 'C', name: 'C1' });
      await until('two jobs running', () => a.started.length === 2);
      assert.deepEqual([...a.started].sort(), ['A1', 'B1'], 'A queued first and most, but B runs beside it');
      await a.finish('A1');
      await until('third start', () => a.started.length === 3);
      assert.equal(a.started[2], 'C1', 'C had not had a turn yet: it goes before A2');
      await a.finish('B1');
      await until('fourth start', () => a.started.length === 4);
      assert.equal(a.started[3], 'A2');
      await a.finish('C1');
      await until('fifth start', () => a.started.length === 5);
      assert.equal(a.started[4], 'B2', 'A2 still runs: A may not take a second worker');
      await a.finish('A2');
      await a.finish('B2');
      await until('sixth start', () => a.started.length === 6);
      assert.equal(a.started[5], 'A3');
      const idle = a.queue.idle();
      await a.finish('A3');
      await idle;
      assert.deepEqual(a.lost, []);
    } finally {
      await a.queues.stop();
    }
  });

  it('the rule holds across instances: a bank\'s second job waits for its first on another instance, another bank\'s does not', async () => {
    const ns = uniqueName('pair');
    const one = instance(db, ns, { concurrency: 1 });
    const two = instance(db, ns, { concurrency: 1 });
    await one.queues.start();
    await two.queues.start();
    try {
      await one.add({ tenantId: 'A', name: 'A1' });
      await until('A1 running', () => one.started.length + two.started.length === 1);
      await one.add({ tenantId: 'A', name: 'A2' });
      await one.add({ tenantId: 'B', name: 'B1' });
      await until('B1 running', () => [...one.started, ...two.started].includes('B1'));
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(![...one.started, ...two.started].includes('A2'), 'A2 waits although a worker of the cluster would be free');
      await (one.started.includes('A1') ? one : two).finish('A1');
      await (one.started.includes('B1') ? one : two).finish('B1');
      await until('A2 running', () => [...one.started, ...two.started].includes('A2'));
      await (one.started.includes('A2') ? one : two).finish('A2');
      await one.queue.idle();
    } finally {
      await one.queues.stop();
      await two.queues.stop();
    }
  });

  it('a live instance\'s job is never failed by another, however long it runs; a dead instance\'s is, and its bank goes on', async () => {
    const ns = uniqueName('lease');
    const one = instance(db, ns, { concurrency: 1, deadAfterMs: 1000 });
    const two = instance(db, ns, { concurrency: 1, deadAfterMs: 1000 });
    await one.queues.start();
    try {
      await one.add({ tenantId: 'A', name: 'long' });
      await until('long running', () => one.started.includes('long'));
      await two.queues.start();
      // Well past the dead-after time, with heartbeats: nobody touches it.
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 400));
        assert.equal(await two.queues.sweep(), 0);
        assert.equal(await one.queues.sweep(), 0);
      }
      assert.deepEqual([...one.lost, ...two.lost], []);
      await one.add({ tenantId: 'A', name: 'next' });
      // Instance one dies: its heartbeat stops, its worker keeps the lock (as after SIGKILL).
      for (const t of (one.queues as unknown as { timers: NodeJS.Timeout[] }).timers) clearInterval(t);
      await until('the job to be swept', async () => (await two.queues.sweep()) > 0, 10_000);
      assert.deepEqual(two.lost, ['long']);
      await until('the bank\'s next job on the live instance', () => two.started.includes('next') || one.started.includes('next'));
      await (two.started.includes('next') ? two : one).finish('next');
    } finally {
      await two.queues.stop();
      await one.queues.stop();
    }
  });
});
