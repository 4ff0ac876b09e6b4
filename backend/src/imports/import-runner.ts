import fs from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type { Knex } from 'knex';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyField, FORMATS, readHeader, readRow, type Cell, type ImportError, type ImportKind } from './formats.js';

export const MAX_REPORTED_ERRORS = 100;

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

class ErrorLog {
  readonly first: ImportError[] = [];
  count = 0;
  add(e: ImportError): void {
    this.count++;
    if (this.first.length < MAX_REPORTED_ERRORS) this.first.push(e);
  }

  /** Row errors and whole-file checks arrive in two passes; users read them by line. */
  inLineOrder(): ImportError[] {
    return [...this.first].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)).slice(0, MAX_REPORTED_ERRORS);
  }
}

/** Rejects bytes that are not UTF-8 (a BOM is fine; csv-parse drops it). */
function strictUtf8(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return new Transform({
    readableObjectMode: false,
    transform(chunk: Buffer, _enc, done) {
      try {
        done(null, decoder.decode(chunk, { stream: true }));
      } catch {
        done(new EncodingError());
      }
    },
    flush(done) {
      try {
        done(null, decoder.decode());
      } catch {
        done(new EncodingError());
      }
    },
  });
}

class EncodingError extends Error {}

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
      copy: `copy import_stage (line, ${columns.join(', ')}) from stdin`,
      clear: `delete from ${kind} where tenant_id = $1 and container_id = $2`,
      insert: `insert into ${kind} (tenant_id, container_id, ${keyed.join(', ')}) select $1, $2, ${keyed.join(', ')} from import_stage`,
    }];
  }),
) as Record<ImportKind, { stage: string; copy: string; clear: string; insert: string }>;

/**
 * Runs one import file in one transaction on one connection: either every row lands and
 * replaces the kind's rows, or nothing changes. Uses the raw pg client because COPY streams
 * are outside knex; every statement is parameterised.
 */
export async function runImport(options: {
  db: Knex;
  tenantId: string;
  containerId: string;
  kind: ImportKind;
  file: string;
  now: Date;
  onProgress: (p: Progress) => void;
}): Promise<ImportOutcome> {
  const { db, tenantId, containerId, kind, file } = options;
  const columns = FORMATS[kind].map((c) => c.name);
  const errors = new ErrorLog();
  let rowsProcessed = 0;
  let bytesProcessed = 0;
  const client = (await db.client.acquireConnection()) as pg.Client;
  let outcome: ImportOutcome;
  try {
    await client.query('begin');
    await client.query("select set_config('app.tenant_id', $1, true)", [tenantId]);
    await client.query(SQL[kind].stage);

    const copy = client.query(copyFrom(SQL[kind].copy));
    let order: number[] | undefined;
    let headerFailed = false;
    const rows = new Transform({
      writableObjectMode: true,
      transform(record: { record: string[]; info: { lines: number } }, _enc, done) {
        if (headerFailed) return done();
        if (!order) {
          const header = readHeader(kind, record.record);
          if ('errors' in header) {
            header.errors.forEach((e) => errors.add(e));
            headerFailed = true;
            return done();
          }
          order = header.order;
          return done();
        }
        rowsProcessed++;
        const result = readRow(kind, order, record.record, record.info.lines);
        if ('errors' in result) {
          result.errors.forEach((e) => errors.add(e));
          return done();
        }
        // Valid rows are staged even after an error, so the set checks below can report on all of them.
        done(null, `${record.info.lines}\t${result.values.map((v: Cell) => copyField(v)).join('\t')}\n`);
      },
    });
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytesProcessed += chunk.length;
        options.onProgress({ bytesProcessed, rowsProcessed });
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        fs.createReadStream(file, { highWaterMark: 256 * 1024 }),
        counter,
        strictUtf8(),
        parse({ delimiter: ';', bom: true, relax_column_count: true, relax_quotes: false, skip_empty_lines: true, info: true }),
        rows,
        copy as unknown as Writable,
      );
    } catch (err) {
      if (err instanceof EncodingError) errors.add({ line: null, column: null, code: 'encoding', message: 'The file is not UTF-8 encoded. Export it as UTF-8 and try again.' });
      else if ((err as { code?: string }).code?.startsWith('CSV_')) errors.add({ line: (err as { lines?: number }).lines ?? null, column: null, code: 'malformed_csv', message: 'The file is not valid CSV here (check quotes and separators).' });
      else throw err;
    }
    if (!order && errors.count === 0) errors.add({ line: null, column: null, code: 'empty_file', message: 'The file has no header row.' });
    options.onProgress({ bytesProcessed, rowsProcessed });

    const fileReadable = order !== undefined && !errors.first.some((e) => e.code === 'encoding' || e.code === 'malformed_csv');
    if (fileReadable) await setChecks(client, kind, tenantId, containerId, errors);
    if (errors.count > 0) {
      await client.query('rollback');
      return { ok: false, rowsProcessed, rowsImported: 0, errorCount: errors.count, errors: errors.inLineOrder() };
    }
    const rowsImported = await replaceRows(client, kind, tenantId, containerId, options.now);
    await client.query('commit');
    outcome = { ok: true, rowsProcessed, rowsImported, errorCount: 0, errors: [] };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await db.client.releaseConnection(client);
  }
  return outcome;
}

/** Checks that need the whole file: unique group ids, and groups that exist in the container. */
async function setChecks(client: pg.Client, kind: ImportKind, tenantId: string, containerId: string, errors: ErrorLog): Promise<void> {
  if (kind === 'customer_groups') {
    const dupes = await client.query<{ line: number; group_id: string; total: string }>(
      `select line, group_id, count(*) over () as total from (
         select line, group_id, row_number() over (partition by group_id order by line) as n from import_stage) s
       where n > 1 order by line limit $1`,
      [MAX_REPORTED_ERRORS],
    );
    for (const d of dupes.rows) errors.add({ line: d.line, column: 'group_id', code: 'duplicate_group', message: `The group ${d.group_id} appears more than once.` });
    if (dupes.rows[0]) errors.count += Number(dupes.rows[0].total) - dupes.rows.length;
    return;
  }
  const unknown = await client.query<{ line: number; group_id: string; total: string }>(
    `select s.line, s.group_id, count(*) over () as total from import_stage s
      where not exists (select 1 from customer_groups g where g.tenant_id = $1 and g.container_id = $2 and g.group_id = s.group_id)
      order by s.line limit $3`,
    [tenantId, containerId, MAX_REPORTED_ERRORS],
  );
  for (const u of unknown.rows) errors.add({ line: u.line, column: 'group_id', code: 'unknown_group', message: `The group ${u.group_id} is not in this container's customer groups.` });
  if (unknown.rows[0]) errors.count += Number(unknown.rows[0].total) - unknown.rows.length;
}

/** Replaces the kind's rows with the staged ones and updates the container's counts. */
async function replaceRows(client: pg.Client, kind: ImportKind, tenantId: string, containerId: string, now: Date): Promise<number> {
  await client.query(SQL[kind].clear, [tenantId, containerId]);
  const inserted = await client.query(SQL[kind].insert, [tenantId, containerId]);
  await client.query(
    `update containers set last_import_at = $3,
       groups_count = (select count(*) from customer_groups where tenant_id = $1 and container_id = $2),
       products_count = (select count(*) from products where tenant_id = $1 and container_id = $2),
       payments_count = (select count(*) from payments where tenant_id = $1 and container_id = $2)
     where tenant_id = $1 and id = $2`,
    [tenantId, containerId, now],
  );
  return inserted.rowCount ?? 0;
}
