import type { Knex } from 'knex';
import type pg from 'pg';

/**
 * Claims this slot of a periodic task for the cluster: true for exactly one caller per interval,
 * however many instances ask at once (one atomic upsert). The first claim ever only starts the
 * clock (the first run follows one interval after the first start, as the daily timer did).
 * `ran_by` records the claiming instance.
 */
export async function claimRun(db: Knex, task: string, everySeconds: number, instanceId: string): Promise<boolean> {
  const { rows } = await db.raw<{ rows: { inserted: boolean }[] }>(
    `insert into maintenance_runs (task, last_run_at) values (?, now())
     on conflict (task) do update set last_run_at = now(), ran_by = ?
       where maintenance_runs.last_run_at <= now() - make_interval(secs => ?)
     returning (xmax = 0) as inserted`,
    [task, instanceId, everySeconds],
  );
  return rows.length === 1 && !rows[0]!.inserted;
}

/** Throttle windows that ended more than an hour ago (rate_limits.expire is epoch milliseconds). */
export async function purgeExpiredThrottles(db: Knex, now: Date): Promise<number> {
  return db('rate_limits').where('expire', '<', now.getTime() - 3_600_000).delete();
}

/** The session advisory lock of the maintenance leader, on the leader's own connection (it lives as long as that session). */
export async function tryLeaderLock(client: pg.Client, lock: number): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [lock]);
  return rows[0]?.ok === true;
}

/** One round trip on the leader's connection; rejects when it is gone. */
export async function checkConnection(client: pg.Client): Promise<void> {
  await client.query('select 1');
}
