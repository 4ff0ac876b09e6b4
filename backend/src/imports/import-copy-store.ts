import type { Writable } from 'node:stream';
import type { Knex } from 'knex';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ALL_DEPARTMENTS_SQL } from '../db/tenant-transaction.js';
import { FORMATS, type ImportKind } from './formats.js';

/**
 * The SQL of one import pass (import-runner.ts holds the logic): a staging table filled by COPY,
 * whole-file checks on it, and the replacement of the container's rows. Uses the raw pg client
 * because COPY streams are outside knex; every value is a binding.
 */

const STAGE_COLUMNS: Record<ImportKind, string> = {
  customer_groups: 'group_id text, kind text, customer_type smallint, branch text, postcode text, age smallint, industry text, turnover numeric(18,2), rating smallint, negative_flag boolean, online_logins_12m integer',
  products: 'group_id text, product_group text, balance numeric(18,2), balance_avg numeric(18,2), count integer',
  payments: 'group_id text, category text, count_12m integer, sum_12m numeric(18,2)',
};

/** Statements per kind, built once from the fixed formats: no query below interpolates anything. */
const SQL = Object.fromEntries(
  (Object.keys(FORMATS) as ImportKind[]).map((kind) => {
    const columns = FORMATS[kind].map((c) => c.name);
    const keyed = kind === 'customer_groups' ? columns : ['line', ...columns];
    return [kind, {
      stage: `create temp table import_stage (line integer, ${STAGE_COLUMNS[kind]}) on commit drop`,
      copyStage: `copy import_stage (line, ${columns.join(', ')}) from stdin`,
      clear: `delete from ${kind} where tenant_id = $1 and container_id = $2`,
      insert: `insert into ${kind} (tenant_id, container_id, department_id, ${keyed.join(', ')}) select $1, $2, $3, ${keyed.join(', ')} from import_stage`,
    }];
  }),
) as Record<ImportKind, { stage: string; copyStage: string; clear: string; insert: string }>;

/** Replacing customer groups also empties products and payments (they hang on the groups). */
const ANALYZE: Record<ImportKind, string> = {
  customer_groups: 'analyze customer_groups, products, payments',
  products: 'analyze products',
  payments: 'analyze payments',
};

/** The container's counts without counting (see updateCounts). */
const UPDATE_COUNTS: Record<ImportKind, string> = {
  customer_groups: 'update containers set last_import_at = $3, groups_count = $4, products_count = 0, payments_count = 0 where tenant_id = $1 and id = $2',
  products: 'update containers set last_import_at = $3, products_count = $4 where tenant_id = $1 and id = $2',
  payments: 'update containers set last_import_at = $3, payments_count = $4 where tenant_id = $1 and id = $2',
};

/** One pooled connection of `db` for the pass; an error rolls back what it left open. */
export async function withClient<T>(db: Knex, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = (await db.client.acquireConnection()) as pg.Client;
  try {
    return await work(client);
  } catch (err) {
    await rollback(client).catch(() => undefined);
    throw err;
  } finally {
    await db.client.releaseConnection(client);
  }
}

/** Opens the pass's transaction for the tenant, with an empty staging table, and the COPY stream into it. */
export async function beginStaging(client: pg.Client, kind: ImportKind, tenantId: string): Promise<Writable> {
  await client.query('begin');
  await client.query("select set_config('app.tenant_id', $1, true)", [tenantId]);
  // The job was authorised when the import was accepted; it works in the bank as a whole.
  await client.query(ALL_DEPARTMENTS_SQL.pg, [tenantId]);
  await client.query(SQL[kind].stage);
  return client.query(copyFrom(SQL[kind].copyStage));
}

export async function rollback(client: pg.Client): Promise<void> {
  await client.query('rollback');
}

export async function commit(client: pg.Client): Promise<void> {
  await client.query('commit');
}

/**
 * Waits for a calculation reading this container to finish, so a run never sees half a replacement;
 * returns the container's department as it is now (a move waits for this lock as well).
 */
export async function lockContainer(client: pg.Client, tenantId: string, containerId: string): Promise<string | null> {
  const held = await client.query<{ department_id: string }>('select department_id from containers where tenant_id = $1 and id = $2 for update', [tenantId, containerId]);
  return held.rows[0]?.department_id ?? null;
}

/** The container's rows of this kind replaced by the staged ones, in its department; the number inserted. */
export async function replaceRows(client: pg.Client, kind: ImportKind, tenantId: string, containerId: string, departmentId: string | null): Promise<number> {
  await client.query(SQL[kind].clear, [tenantId, containerId]);
  return (await client.query(SQL[kind].insert, [tenantId, containerId, departmentId])).rowCount ?? 0;
}

/**
 * The container's counts without counting: replacing customer groups removes every product and
 * payment (they hang on the groups), replacing products or payments touches nothing else.
 */
export async function updateCounts(client: pg.Client, kind: ImportKind, tenantId: string, containerId: string, rows: number, now: Date): Promise<void> {
  await client.query(UPDATE_COUNTS[kind], [tenantId, containerId, now, rows]);
}

/**
 * Leaves the statistics current: a calculation started right after an import was otherwise
 * planned for the empty container the statistics still described (minutes instead of a second).
 * Needs the MAINTAIN privilege (migration 202612021100); without it PostgreSQL only warns.
 */
export async function analyze(client: pg.Client, kind: ImportKind): Promise<void> {
  await client.query(ANALYZE[kind]).catch(() => undefined);
}

export interface StagedProblem { line: number; group_id: string; total: string }

/** Staged lines repeating an earlier group id, in line order, each with the total count. */
export async function duplicateGroups(client: pg.Client, limit: number): Promise<StagedProblem[]> {
  return (await client.query<StagedProblem>(
    `select line, group_id, count(*) over () as total from (
       select line, group_id, row_number() over (partition by group_id order by line) as n from import_stage) s
     where n > 1 order by line limit $1`,
    [limit],
  )).rows;
}

/** Staged lines whose group is not in the container, in line order, each with the total count. */
export async function unknownGroups(client: pg.Client, tenantId: string, containerId: string, limit: number): Promise<StagedProblem[]> {
  return (await client.query<StagedProblem>(
    `select s.line, s.group_id, count(*) over () as total from import_stage s
      where not exists (select 1 from customer_groups g where g.tenant_id = $1 and g.container_id = $2 and g.group_id = s.group_id)
      order by s.line limit $3`,
    [tenantId, containerId, limit],
  )).rows;
}
