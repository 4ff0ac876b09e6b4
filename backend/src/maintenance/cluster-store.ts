import type { Knex } from 'knex';

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
