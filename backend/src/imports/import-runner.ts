import fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import type pg from 'pg';
import {
  analyze, beginStaging, commit, duplicateGroups, lockContainer, replaceRows, rollback, unknownGroups, updateCounts, withClient,
} from './import-copy-store.js';
import { CopyEncoder, EncodingError, LineTooLong } from './copy-encoder.js';
import { MalformedCsv } from './csv-lines.js';
import { importError } from '../http/error-catalogue.js';
import { readHead, sniff } from './sniff.js';
import { copyLine, readHeader, readRow, type ImportError, type ImportKind } from './formats.js';

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
 * raw pg client because COPY streams are outside knex (import-copy-store.ts).
 */
export async function runImport(options: RunOptions): Promise<ImportOutcome> {
  const refused = sniff(options.kind, await readHead(options.file));
  if (refused) return { ok: false, rowsProcessed: 0, rowsImported: 0, errorCount: 1, errors: [bounded(refused)] };
  const fast = await withClient(options.db, (client) => onePass(client, options, 'direct'));
  if (fast.ok) return fast;
  return withClient(options.db, (client) => onePass(client, options, 'staged'));
}

async function onePass(client: pg.Client, o: RunOptions, mode: 'direct' | 'staged'): Promise<ImportOutcome> {
  const { kind, tenantId, containerId } = o;
  const errors = new ErrorLog();
  let bytesProcessed = 0;
  let order: number[] | undefined;
  const copy = await beginStaging(client, kind, tenantId);
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
    await pipeline(fs.createReadStream(o.file, { highWaterMark: READ_CHUNK }), counter, encoder, copy);
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
    await rollback(client);
    return { ok: false, rowsProcessed, rowsImported: 0, errorCount: errors.count, errors: errors.inLineOrder() };
  }
  const departmentId = await lockContainer(client, tenantId, containerId);
  let rowsImported: number;
  try {
    rowsImported = await replaceRows(client, kind, tenantId, containerId, departmentId);
  } catch (err) {
    // A duplicate or unknown group: only the reporting pass can say which lines.
    if (mode === 'direct' && ['23505', '23503'].includes((err as { code?: string }).code ?? '')) {
      await rollback(client);
      return { ok: false, rowsProcessed, rowsImported: 0, errorCount: 1, errors: [] };
    }
    throw err;
  }
  await updateCounts(client, kind, tenantId, containerId, rowsImported, o.now);
  await commit(client);
  await analyze(client, kind);
  return { ok: true, rowsProcessed, rowsImported, errorCount: 0, errors: [] };
}

class NeedsReport extends Error {}

/** Errors that stop reading the file: the whole-file checks have no complete stage to look at. */
const FILE_LEVEL = new Set(['encoding', 'malformed_csv', 'line_too_long']);

/** Checks that need the whole file: unique group ids, and groups that exist in the container. */
async function setChecks(client: pg.Client, kind: ImportKind, tenantId: string, containerId: string, errors: ErrorLog): Promise<void> {
  if (kind === 'customer_groups') {
    const dupes = await duplicateGroups(client, MAX_REPORTED_ERRORS);
    for (const d of dupes) errors.add(importError('duplicate_group', { line: d.line, column: 'group_id' }, { group: d.group_id }));
    if (dupes[0]) errors.count += Number(dupes[0].total) - dupes.length;
    return;
  }
  const unknown = await unknownGroups(client, tenantId, containerId, MAX_REPORTED_ERRORS);
  for (const u of unknown) errors.add(importError('unknown_group', { line: u.line, column: 'group_id' }, { group: u.group_id }));
  if (unknown[0]) errors.count += Number(unknown[0].total) - unknown.length;
}
