import fs from 'node:fs';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CopyEncoder, EncodingError, LineTooLong } from './copy-encoder.js';
import { MalformedCsv } from './csv-lines.js';
import { ALL_DEPARTMENTS_SQL } from '../db/tenant-transaction.js';
import { importError } from '../http/error-catalogue.js';
import { readHead, sniff } from './sniff.js';
import { copyLine, FORMATS, readHeader, readRow, type ImportError, type ImportKind } from './formats.js';

export const MAX_REPORTED_ERRORS = 100;
/** Small reads keep each synchronous encoding step short (about a millisecond), so other requests are not held up. */
const READ_CHUNK = 64 * 1024;

export interface Progress {
  bytesProcessed: number;
  rowsProcessed: number;
}

export interface ImportOutcome {
  ok: boolean;
  rowsProcessed: number;
  rowsImported: number;
  errorCount: number;
  errors: ImportError[];
}

/** Longest echoed text of a stored error (a column name, a message quoting a cell). */
export const MAX_ECHO_CHARS = 200;

/** `text` cut to `max` characters, the last one an ellipsis, never inside a surrogate pair. */
export function cut(text: string, max = MAX_ECHO_CHARS): string {
  if (text.length <= max) return text;
  let kept = text.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  return `${kept}…`;
}

/** Every stored error is bounded: at most 100 of them, and no field longer than 200 characters. */
export function bounded(e: ImportError): ImportError {
  // A NUL cannot be stored in jsonb; it is shown as the symbol for it.
  const column = e.column === null ? null : cut(e.column.replace(/\0/g, '\u2400'));
  const message = cut(e.message.replace(/\0/g, '\u2400'));
  if (column === e.column && message === e.message) return e;
  return { ...e, column, message, truncated: true };
}

class ErrorLog {
  readonly first: ImportError[] = [];
  count = 0;
  add(e: ImportError): void {
    this.count++;
    if (this.first.length < MAX_REPORTED_ERRORS) this.first.push(bounded(e));
  }

  /** Row errors and whole-file checks arrive in two passes; users read them by line. */
  inLineOrder(): ImportError[] {
    return [...this.first].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)).slice(0, MAX_REPORTED_ERRORS);
  }
}

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

interface RunOptions {
  db: Knex;
  tenantId: string;
  containerId: string;
  kind: ImportKind;
  file: string;
  now: Date;
  onProgress: (p: Progress) => void;
}

/**
 * Runs one import file, all or nothing. Rows are validated in Node and streamed with COPY into a
 * transaction-local staging table (COPY cannot write to row-level-secured tables), then inserted
 * into the container. The fast pass lets the table's keys catch duplicate and unknown groups; on
 * any problem it rolls back and a reporting pass checks everything and names the lines. Uses the
 * raw pg client because COPY streams are outside knex; every statement is parameterised.
 */
export async function runImport(options: RunOptions): Promise<ImportOutcome> {
  const refused = sniff(options.kind, await readHead(options.file));
  if (refused) return { ok: false, rowsProcessed: 0, rowsImported: 0, errorCount: 1, errors: [bounded(refused)] };
  const fast = await withClient(options.db, (client) => onePass(client, options, 'direct'));
  if (fast.ok) return fast;
  return withClient(options.db, (client) => onePass(client, options, 'staged'));
}

async function withClient<T>(db: Knex, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = (await db.client.acquireConnection()) as pg.Client;
  try {
    return await work(client);
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await db.client.releaseConnection(client);
  }
}

async function onePass(client: pg.Client, o: RunOptions, mode: 'direct' | 'staged'): Promise<ImportOutcome> {
  const { kind, tenantId, containerId } = o;
  const errors = new ErrorLog();
  let bytesProcessed = 0;
  let order: number[] | undefined;
  await client.query('begin');
  await client.query("select set_config('app.tenant_id', $1, true)", [tenantId]);
  // The job was authorised when the import was accepted; it works in the bank as a whole.
  await client.query(ALL_DEPARTMENTS_SQL.pg, [tenantId]);
  await client.query(SQL[kind].stage);
  const copy = client.query(copyFrom(SQL[kind].copyStage));
  const encoder = new CopyEncoder(kind, {
    header(cells) {
      const header = readHeader(kind, cells);
      if ('errors' in header) {
        header.errors.forEach((e) => errors.add(e));
        throw new NeedsReport();
      }
      order = header.order;
      return order;
    },
    row(cells, line) {
      const result = readRow(kind, order!, cells, line);
      if ('errors' in result) {
        result.errors.forEach((e) => errors.add(e));
        // The fast pass cannot report whole-file problems for the remaining rows: leave it early.
        if (mode === 'direct') throw new NeedsReport();
        return undefined;
      }
      return copyLine(line, result.values);
    },
  });
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytesProcessed += chunk.length;
      o.onProgress({ bytesProcessed, rowsProcessed: encoder.rows });
      done(null, chunk);
    },
  });
  try {
    await pipeline(fs.createReadStream(o.file, { highWaterMark: READ_CHUNK }), counter, encoder, copy as unknown as Writable);
  } catch (err) {
    if (err instanceof EncodingError) errors.add(importError('encoding', { line: err.line, column: err.column }));
    else if (err instanceof LineTooLong) {
      errors.add(importError('line_too_long', { line: err.line, column: null }, { limit: err.limit }));
    } else if (err instanceof MalformedCsv) errors.add(importError('malformed_csv', { line: err.line, column: null }));
    else if (!(err instanceof NeedsReport)) throw err;
  }
  const rowsProcessed = encoder.rows;
  // A header-only file would otherwise "succeed" and replace the container's rows with nothing.
  if (errors.count === 0 && (!order || rowsProcessed === 0)) {
    errors.add(importError('empty_file', { line: null, column: null }, { reason: order ? 'no_rows' : 'empty' }));
  }
  o.onProgress({ bytesProcessed, rowsProcessed });

  if (mode === 'staged' && order && !errors.first.some((e) => FILE_LEVEL.has(e.code))) {
    await setChecks(client, kind, tenantId, containerId, errors);
  }
  if (errors.count > 0) {
    await client.query('rollback');
    return { ok: false, rowsProcessed, rowsImported: 0, errorCount: errors.count, errors: errors.inLineOrder() };
  }
  // Waits for a calculation reading this container to finish, so a run never sees half a replacement.
  // The rows take the container's department as it is now (a move waits for this lock as well).
  const held = await client.query<{ department_id: string }>('select department_id from containers where tenant_id = $1 and id = $2 for update', [tenantId, containerId]);
  await client.query(SQL[kind].clear, [tenantId, containerId]);
  let rowsImported: number;
  try {
    rowsImported = (await client.query(SQL[kind].insert, [tenantId, containerId, held.rows[0]?.department_id ?? null])).rowCount ?? 0;
  } catch (err) {
    // A duplicate or unknown group: only the reporting pass can say which lines.
    if (mode === 'direct' && ['23505', '23503'].includes((err as { code?: string }).code ?? '')) {
      await client.query('rollback');
      return { ok: false, rowsProcessed, rowsImported: 0, errorCount: 1, errors: [] };
    }
    throw err;
  }
  await updateCounts(client, kind, tenantId, containerId, rowsImported, o.now);
  await client.query('commit');
  await analyze(client, kind);
  return { ok: true, rowsProcessed, rowsImported, errorCount: 0, errors: [] };
}

class NeedsReport extends Error {}

/** Replacing customer groups also empties products and payments (they hang on the groups). */
const ANALYZE: Record<ImportKind, string> = {
  customer_groups: 'analyze customer_groups, products, payments',
  products: 'analyze products',
  payments: 'analyze payments',
};

/**
 * Leaves the statistics current: a calculation started right after an import was otherwise
 * planned for the empty container the statistics still described (minutes instead of a second).
 * Needs the MAINTAIN privilege (migration 202612021100); without it PostgreSQL only warns.
 */
async function analyze(client: pg.Client, kind: ImportKind): Promise<void> {
  await client.query(ANALYZE[kind]).catch(() => undefined);
}

/** Errors that stop reading the file: the whole-file checks have no complete stage to look at. */
const FILE_LEVEL = new Set(['encoding', 'malformed_csv', 'line_too_long']);

/** Checks that need the whole file: unique group ids, and groups that exist in the container. */
async function setChecks(client: pg.Client, kind: ImportKind, tenantId: string, containerId: string, errors: ErrorLog): Promise<void> {
  if (kind === 'customer_groups') {
    const dupes = await client.query<{ line: number; group_id: string; total: string }>(
      `select line, group_id, count(*) over () as total from (
         select line, group_id, row_number() over (partition by group_id order by line) as n from import_stage) s
       where n > 1 order by line limit $1`,
      [MAX_REPORTED_ERRORS],
    );
    for (const d of dupes.rows) errors.add(importError('duplicate_group', { line: d.line, column: 'group_id' }, { group: d.group_id }));
    if (dupes.rows[0]) errors.count += Number(dupes.rows[0].total) - dupes.rows.length;
    return;
  }
  const unknown = await client.query<{ line: number; group_id: string; total: string }>(
    `select s.line, s.group_id, count(*) over () as total from import_stage s
      where not exists (select 1 from customer_groups g where g.tenant_id = $1 and g.container_id = $2 and g.group_id = s.group_id)
      order by s.line limit $3`,
    [tenantId, containerId, MAX_REPORTED_ERRORS],
  );
  for (const u of unknown.rows) errors.add(importError('unknown_group', { line: u.line, column: 'group_id' }, { group: u.group_id }));
  if (unknown.rows[0]) errors.count += Number(unknown.rows[0].total) - unknown.rows.length;
}

/**
 * The container's counts without counting: replacing customer groups removes every product and
 * payment (they hang on the groups), replacing products or payments touches nothing else.
 */
async function updateCounts(client: pg.Client, kind: ImportKind, tenantId: string, containerId: string, rows: number, now: Date): Promise<void> {
  const sql = {
    customer_groups: 'update containers set last_import_at = $3, groups_count = $4, products_count = 0, payments_count = 0 where tenant_id = $1 and id = $2',
    products: 'update containers set last_import_at = $3, products_count = $4 where tenant_id = $1 and id = $2',
    payments: 'update containers set last_import_at = $3, payments_count = $4 where tenant_id = $1 and id = $2',
  }[kind];
  await client.query(sql, [tenantId, containerId, now, rows]);
}
