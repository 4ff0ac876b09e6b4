import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FairQueue } from '../src/jobs/fair-queue.js';

interface Job { tenantId: string; name: string }

/** A queue whose jobs finish only when the test says so. */
function harness(workers: number) {
  const started: string[] = [];
  const release = new Map<string, () => void>();
  const queue = new FairQueue<Job>((job) => new Promise<void>((resolve) => {
    started.push(job.name);
    release.set(job.name, resolve);
  }), () => undefined, workers);
  const finish = async (name: string) => {
    release.get(name)!();
    await new Promise((r) => setImmediate(r));
  };
  return { queue, started, finish };
}

describe('fair job queue', () => {
  it('one bank never waits behind another: at most one job per bank runs, a free worker takes the next bank in turn', async () => {
    const { queue, started, finish } = harness(2);
    for (let i = 1; i <= 3; i++) queue.enqueue({ tenantId: 'A', name: `A${i}` });
    queue.enqueue({ tenantId: 'B', name: 'B1' });
    queue.enqueue({ tenantId: 'B', name: 'B2' });
    queue.enqueue({ tenantId: 'C', name: 'C1' });
    assert.deepEqual(started, ['A1', 'B1'], 'A queued first and most, but B runs beside it');
    await finish('A1');
    assert.deepEqual(started, ['A1', 'B1', 'C1'], 'C had not had a turn yet: it goes before A2');
    await finish('B1');
    assert.deepEqual(started.slice(3), ['A2']);
    await finish('C1');
    assert.deepEqual(started.slice(4), ['B2'], 'A2 still runs: A may not take a second worker');
    await finish('A2');
    await finish('B2');
    assert.deepEqual(started.slice(5), ['A3']);
    const idle = queue.idle();
    await finish('A3');
    await idle;
  });

  it('a crashing job frees its worker and reports the crash', async () => {
    const crashed: string[] = [];
    const queue = new FairQueue<Job>(async (job) => {
      if (job.name === 'bad') throw new Error('boom');
    }, (job) => crashed.push(job.name), 1);
    queue.enqueue({ tenantId: 'A', name: 'bad' });
    queue.enqueue({ tenantId: 'A', name: 'good' });
    await queue.idle();
    assert.deepEqual(crashed, ['bad']);
  });
});
