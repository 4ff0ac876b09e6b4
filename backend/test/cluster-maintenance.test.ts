import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { connectionConfig } from '../src/db/connection.js';
import { ClusterLeader } from '../src/maintenance/cluster-leader.js';
import { claimRun } from '../src/maintenance/cluster-store.js';
import { apiDb, ownerDb, uniqueName } from './helpers/db.js';
import { capturingLogger } from './helpers/logger.js';

const INSTANCE = '00000000-0000-4000-8000-000000000019';

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Issue 19, item 3: periodic work runs on one instance of the cluster at a time, each slot once. */
describe('once per cluster', () => {
  let db: Knex;
  let owner: Knex;
  before(() => {
    db = apiDb(30);
    owner = ownerDb();
  });
  after(async () => {
    await db.destroy();
    await owner.destroy();
  });

  it('a due slot is claimed by exactly one of 24 parallel claims (3 rounds); a slot not due by none', async () => {
    const task = uniqueName('task');
    assert.equal(await claimRun(db, task, 3600, INSTANCE), false, 'the first claim only starts the clock');
    for (let round = 0; round < 3; round++) {
      await owner('maintenance_runs').where({ task }).update({ last_run_at: owner.raw("now() - interval '2 hours'") });
      const claims = await Promise.all(Array.from({ length: 24 }, () => claimRun(db, task, 3600, INSTANCE)));
      assert.equal(claims.filter(Boolean).length, 1, `round ${round}: ${claims.filter(Boolean).length} claims won`);
      assert.equal(await claimRun(db, task, 3600, INSTANCE), false, 'just run: not due');
    }
  });

  it('one leader at a time; when it stops, another takes over', async () => {
    const leads: string[] = [];
    const losses: string[] = [];
    const make = (name: string) => new ClusterLeader({
      connection: connectionConfig(db), logger: capturingLogger().logger, checkMs: 150,
      onLead: () => leads.push(name),
      onLose: async () => {
        losses.push(name);
      },
    });
    const a = make('a');
    const b = make('b');
    const c = make('c');
    try {
      a.start();
      b.start();
      c.start();
      await until('a leader', () => leads.length === 1);
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(leads.length, 1, `only one leads: ${leads.join(',')}`);
      assert.equal([a, b, c].filter((l) => l.isLeader).length, 1);
      const first = [a, b, c].find((l) => l.isLeader)!;
      await first.stop();
      await until('a second leader', () => leads.length === 2);
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(leads.length, 2);
      assert.deepEqual(losses, [leads[0]]);
      assert.notEqual(leads[1], leads[0]);
    } finally {
      await a.stop();
      await b.stop();
      await c.stop();
    }
  });
});
