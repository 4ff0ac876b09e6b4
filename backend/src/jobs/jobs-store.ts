import type { Knex } from 'knex';

/**
 * SQL of the PostgreSQL job queue: graphile-worker's schema (read through its documented
 * functions, and its job table for the payload, which its public view leaves out) and Kontor's
 * `app_instances` heartbeat table. graphile-worker is pinned (0.16.6); its schema is installed and
 * granted by `installJobSchema` (db/migrations.ts) as the owner.
 */
export const JOB_SCHEMA = 'graphile_worker';

/** The API role gets the job schema's rows, never its DDL (run as the owner, after graphile-worker's own migrations). */
export async function grantJobSchema(ownerDb: Knex, apiRole: string): Promise<void> {
  const names = [JOB_SCHEMA, apiRole];
  await ownerDb.raw('grant usage on schema ?? to ??', names);
  await ownerDb.raw('grant select, insert, update, delete on all tables in schema ?? to ??', names);
  await ownerDb.raw('grant usage, select on all sequences in schema ?? to ??', names);
  await ownerDb.raw('grant execute on all functions in schema ?? to ??', names);
  // graphile-worker turns row-level security on for its tables (no policy: only their owner sees
  // rows). The API role works the queue, so it gets one policy per table; every other role still nothing.
  const { rows } = await ownerDb.raw<{ rows: { t: string }[] }>(
    `select c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ? and c.relkind in ('r', 'p') and c.relrowsecurity
        and not exists (select 1 from pg_policies p where p.schemaname = n.nspname and p.tablename = c.relname and p.policyname = 'kontor_api_works_queue')`,
    [JOB_SCHEMA],
  );
  for (const { t } of rows) {
    await ownerDb.raw('create policy kontor_api_works_queue on ??.?? for all to ?? using (true) with check (true)', [JOB_SCHEMA, t, apiRole]);
  }
}

/**
 * Adds a job inside the caller's transaction, so a committed import or calculation row always has
 * its job and a rolled-back one never has. `queueName` serialises a bank's jobs across every
 * instance (at most one running); the priority is how many jobs this bank already has in that
 * queue, so each bank's n-th waiting job goes after every other bank's (n−1)-th (round-robin).
 */
export async function addJob(trx: Knex.Transaction, job: { identifier: string; payload: object; queueName: string }): Promise<string> {
  const { rows } = await trx.raw<{ rows: { id: string }[] }>(
    `select id from graphile_worker.add_job(
       identifier => ?, payload => ?::json, queue_name => ?, max_attempts => 1,
       priority => (select count(*)::int from graphile_worker._private_jobs j
                      join graphile_worker._private_job_queues q on q.id = j.job_queue_id
                     where q.queue_name = ?))`,
    [job.identifier, JSON.stringify(job.payload), job.queueName, job.queueName],
  );
  return String(rows[0]!.id);
}

/** This instance is alive, and these are its workers (graphile-worker's `locked_by`). */
export async function heartbeat(db: Knex, instanceId: string, workerIds: string[], keyFingerprint: string | null): Promise<void> {
  await db.raw(
    `insert into app_instances (id, worker_ids, heartbeat_at, key_fingerprint) values (?, array(select json_array_elements_text(?::json)), now(), ?)
     on conflict (id) do update set worker_ids = excluded.worker_ids, heartbeat_at = now(), key_fingerprint = excluded.key_fingerprint`,
    [instanceId, JSON.stringify(workerIds), keyFingerprint],
  );
}

/** How many instances with a heartbeat younger than `freshSeconds` run with other cluster keys than `keyFingerprint` (rows without one, from tests and older versions, are not compared). */
export async function liveInstancesWithOtherKeys(db: Knex, keyFingerprint: string, freshSeconds: number): Promise<number> {
  const { rows } = await db.raw<{ rows: { n: number }[] }>(
    `select count(*)::int as n from app_instances
      where heartbeat_at > now() - make_interval(secs => ?) and key_fingerprint <> ?`,
    [freshSeconds, keyFingerprint],
  );
  return rows[0]!.n;
}

export async function removeInstance(db: Knex, instanceId: string): Promise<void> {
  await db('app_instances').where({ id: instanceId }).delete();
}

export async function liveInstanceCount(db: Knex, freshSeconds: number): Promise<number> {
  const { rows } = await db.raw<{ rows: { n: number }[] }>('select count(*)::int as n from app_instances where heartbeat_at > now() - make_interval(secs => ?)', [freshSeconds]);
  return rows[0]!.n;
}

export interface LostJob {
  id: string;
  identifier: string;
  payload: Record<string, unknown>;
  lockedBy: string | null;
}

/**
 * Jobs of these task identifiers (a LIKE prefix) that nobody alive will finish: locked by a
 * worker of no instance with a fresh heartbeat (for longer than `deadSeconds`, so a just-started
 * instance has reported its workers); bound to an instance (`payload.instance`, its input is a
 * local file) that is not alive; or given up by the library (attempts used up, not locked).
 */
export async function lostJobs(db: Knex, identifierPrefix: string, deadSeconds: number): Promise<LostJob[]> {
  const { rows } = await db.raw<{ rows: { id: string; identifier: string; payload: Record<string, unknown>; locked_by: string | null }[] }>(
    `with live as (select id, worker_ids from app_instances where heartbeat_at > now() - make_interval(secs => ?))
     select j.id, t.identifier, j.payload, j.locked_by
       from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id
      where starts_with(t.identifier, ?)
        and ((j.locked_by is not null and j.locked_at < now() - make_interval(secs => ?)
              and not exists (select 1 from live where j.locked_by = any(live.worker_ids)))
          or (j.locked_by is null and j.attempts >= j.max_attempts)
          or (j.locked_by is null and j.payload->>'instance' is not null and j.created_at < now() - make_interval(secs => ?)
              and not exists (select 1 from live where live.id::text = j.payload->>'instance')))
      order by j.id
      limit 100`,
    [deadSeconds, identifierPrefix, deadSeconds, deadSeconds],
  );
  return rows.map((r) => ({ id: String(r.id), identifier: r.identifier, payload: r.payload, lockedBy: r.locked_by }));
}

/** Removes lost jobs: their dead workers' locks (job and bank queue) go first, then the jobs. */
export async function dropJobs(db: Knex, jobs: LostJob[]): Promise<void> {
  const workers = [...new Set(jobs.map((j) => j.lockedBy).filter((w): w is string => w !== null))];
  await db.transaction(async (trx) => {
    if (workers.length) await trx.raw('select graphile_worker.force_unlock_workers(array(select json_array_elements_text(?::json)))', [JSON.stringify(workers)]);
    await trx.raw('select count(*) from graphile_worker.complete_jobs(array(select json_array_elements_text(?::json)::bigint))', [JSON.stringify(jobs.map((j) => j.id))]);
  });
}

/** Jobs not yet finished whose identifier starts with the prefix (idle waits, shutdown). */
export async function pendingJobs(db: Knex, identifierPrefix: string): Promise<number> {
  const { rows } = await db.raw<{ rows: { n: number }[] }>(
    `select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where starts_with(t.identifier, ?) and (j.locked_by is not null or j.attempts < j.max_attempts)`,
    [identifierPrefix],
  );
  return rows[0]!.n;
}

/**
 * A subquery of the ids (a uuid field of the payload) that still have a job under this prefix. Used
 * in the same statement as the rows it guards: its snapshot sees a committed row together with its
 * job (both commit in one transaction), so a row just queued elsewhere is never taken for an orphan.
 */
export function payloadIdsWithJob(trx: Knex.Transaction, identifierPrefix: string, field: string): Knex.Raw {
  return trx.raw(
    `select (j.payload->>?)::uuid from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where starts_with(t.identifier, ?) and j.payload->>? is not null`,
    [field, identifierPrefix, field],
  );
}
