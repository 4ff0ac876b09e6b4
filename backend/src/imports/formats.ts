/**
 * The three CSV formats of DESIGN §1 and their rules. Pure: a raw cell in, a typed value or an
 * error code out. No names, addresses or IBANs exist in these formats; an unknown column is an
 * error so that real personal data cannot ride along.
 */
import { importError, type ImportErrorAt, type ImportErrorOptions, type ImportReportError } from '../http/error-catalogue.js';

export type ImportKind = 'customer_groups' | 'products' | 'payments';
export const IMPORT_KINDS: ImportKind[] = ['customer_groups', 'products', 'payments'];

export type Cell = string | number | boolean | null;
/** A cell that does not parse says so as an import report entry, once it knows where it is. */
export type Parsed = { ok: true; value: Cell } | { ok: false; error: (at: ImportErrorAt) => ImportError };

/**
 * The byte-level fast check of a column (copy-encoder.ts). It must accept only cells that `parse`
 * accepts and that need no change but a decimal comma; declining a valid cell is always allowed.
 */
export type FastCheck = { businessOnly?: boolean; kindColumn?: boolean } & (
  | { type: 'group_id' }
  | { type: 'enum'; values: Buffer[] }
  | { type: 'integer'; min: number; max: number }
  | { type: 'text'; maxLength: number }
  | { type: 'digits'; length: number }
  | { type: 'industry' }
  | { type: 'decimal'; nonNegative: boolean }
  | { type: 'flag' }
);

interface Column {
  name: string;
  required: boolean;
  parse(raw: string): Parsed;
  fast: FastCheck;
}

const ok = (value: Cell): Parsed => ({ ok: true, value });
const bad = (error: (at: ImportErrorAt) => ImportError): Parsed => ({ ok: false, error });
const badFormat = (reason: ImportErrorOptions<'invalid_format'>['reason']) => bad((at) => importError('invalid_format', at, { reason }));

function integer(min: number, max: number) {
  return (raw: string): Parsed => {
    if (!/^-?\d{1,10}$/.test(raw)) return badFormat('whole_number');
    const n = Number(raw);
    return n < min || n > max ? bad((at) => importError('out_of_range', at, { reason: 'between', min, max })) : ok(n);
  };
}

/** Decimal comma or point, at most two decimals (euros and cents); no thousands separators. */
function decimal(min: number | null) {
  return (raw: string): Parsed => {
    if (!/^-?\d{1,16}([.,]\d{1,2})?$/.test(raw)) return badFormat('amount');
    const text = raw.replace(',', '.');
    if (min !== null && Number(text) < min) return bad((at) => importError('out_of_range', at, { reason: 'at_least', min }));
    return ok(text);
  };
}

function oneOf(values: readonly string[]) {
  return (raw: string): Parsed => (values.includes(raw) ? ok(raw) : bad((at) => importError('invalid_value', at, { values: values.join(', ') })));
}

function pattern(re: RegExp, reason: ImportErrorOptions<'invalid_format'>['reason']) {
  return (raw: string): Parsed => (re.test(raw) ? ok(raw) : badFormat(reason));
}

const groupId: Column = { name: 'group_id', required: true, parse: pattern(/^[A-Za-z0-9_-]{1,64}$/, 'group_id'), fast: { type: 'group_id' } };
const values = (list: readonly string[]) => list.map((v) => Buffer.from(v));

export const PRODUCT_GROUPS = ['GIRO', 'SAVINGS', 'SECURITIES', 'BUILDING_SAVINGS', 'INSURANCE', 'LOAN', 'INVESTMENT_LOAN', 'LEASING'] as const;
export const PAYMENT_CATEGORIES = ['LEASING_OTHER', 'LEASING_OWN', 'VEHICLE_FINANCE', 'INVESTMENT', 'OTHER'] as const;

export const FORMATS: Record<ImportKind, Column[]> = {
  customer_groups: [
    groupId,
    { name: 'kind', required: true, parse: oneOf(['PK', 'FK']), fast: { type: 'enum', values: values(['PK', 'FK']), kindColumn: true } },
    { name: 'customer_type', required: true, parse: integer(100, 999), fast: { type: 'integer', min: 100, max: 999 } },
    { name: 'branch', required: true, parse: pattern(/^[^\t\r\n\\]{1,16}$/, 'text16'), fast: { type: 'text', maxLength: 16 } },
    { name: 'postcode', required: true, parse: pattern(/^\d{5}$/, 'postcode'), fast: { type: 'digits', length: 5 } },
    { name: 'age', required: true, parse: integer(-1, 120), fast: { type: 'integer', min: -1, max: 120 } },
    { name: 'industry', required: false, parse: pattern(/^\d{2}(\.\d{1,2}){0,2}$/, 'industry'), fast: { type: 'industry', businessOnly: true } },
    { name: 'turnover', required: false, parse: decimal(0), fast: { type: 'decimal', nonNegative: true, businessOnly: true } },
    { name: 'rating', required: false, parse: integer(1, 18), fast: { type: 'integer', min: 1, max: 18 } },
    { name: 'negative_flag', required: true, parse: (raw) => (raw === '0' || raw === '1' ? ok(raw === '1') : bad((at) => importError('invalid_value', at, { values: '0, 1' }))), fast: { type: 'flag' } },
    { name: 'online_logins_12m', required: true, parse: integer(0, 2_000_000_000), fast: { type: 'integer', min: 0, max: 2_000_000_000 } },
  ],
  products: [
    groupId,
    { name: 'product_group', required: true, parse: oneOf(PRODUCT_GROUPS), fast: { type: 'enum', values: values(PRODUCT_GROUPS) } },
    { name: 'balance', required: true, parse: decimal(null), fast: { type: 'decimal', nonNegative: false } },
    { name: 'balance_avg', required: true, parse: decimal(null), fast: { type: 'decimal', nonNegative: false } },
    { name: 'count', required: true, parse: integer(1, 2_000_000_000), fast: { type: 'integer', min: 1, max: 2_000_000_000 } },
  ],
  payments: [
    groupId,
    { name: 'category', required: true, parse: oneOf(PAYMENT_CATEGORIES), fast: { type: 'enum', values: values(PAYMENT_CATEGORIES) } },
    { name: 'count_12m', required: true, parse: integer(0, 2_000_000_000), fast: { type: 'integer', min: 0, max: 2_000_000_000 } },
    { name: 'sum_12m', required: true, parse: decimal(0), fast: { type: 'decimal', nonNegative: true } },
  ],
};

export type ImportError = ImportReportError;

/** Checks the header row; returns the file's column order mapped to the format, or the errors. */
export function readHeader(kind: ImportKind, header: string[]): { order: number[] } | { errors: ImportError[] } {
  const names = FORMATS[kind].map((c) => c.name);
  const errors: ImportError[] = [];
  const seen = new Set<string>();
  header.forEach((raw) => {
    const name = raw.trim();
    if (seen.has(name)) errors.push(importError('duplicate_column', { line: 1, column: name }));
    else if (!names.includes(name)) errors.push(importError('unknown_column', { line: 1, column: name }, { kind }));
    seen.add(name);
  });
  for (const name of names) {
    if (!seen.has(name)) errors.push(importError('missing_column', { line: 1, column: name }));
  }
  if (errors.length) return { errors };
  return { order: names.map((n) => header.findIndex((h) => h.trim() === n)) };
}

/** Validates one data row; returns the typed values in format order, or its errors. */
export function readRow(kind: ImportKind, order: number[], cells: string[], line: number): { values: Cell[] } | { errors: ImportError[] } {
  const columns = FORMATS[kind];
  if (cells.length !== order.length) {
    return { errors: [importError('ragged_row', { line, column: null }, { cells: cells.length, expected: order.length })] };
  }
  const errors: ImportError[] = [];
  const values: Cell[] = columns.map((col, i) => {
    const raw = (cells[order[i]!] ?? '').trim();
    // PostgreSQL text cannot hold a NUL; it never belongs in an extract.
    if (raw.includes('\0')) {
      errors.push(importError('nul_byte', { line, column: col.name }));
      return null;
    }
    if (raw === '') {
      if (col.required) errors.push(importError('required', { line, column: col.name }));
      return null;
    }
    const parsed = col.parse(raw);
    if (!parsed.ok) {
      errors.push(parsed.error({ line, column: col.name }));
      return null;
    }
    return parsed.value;
  });
  if (kind === 'customer_groups' && values[1] === 'PK') {
    for (const name of ['industry', 'turnover']) {
      if (values[columns.findIndex((c) => c.name === name)] !== null) {
        errors.push(importError('business_only', { line, column: name }));
      }
    }
  }
  return errors.length ? { errors } : { values };
}

/** One value in PostgreSQL's COPY text format. */
export function copyField(value: Cell): string {
  if (value === null) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return String(value).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** One validated row as a line of COPY text, its line number first (the staging table's key). */
export function copyLine(line: number, values: Cell[]): string {
  let text = `${line}`;
  for (const value of values) text += `\t${copyField(value)}`;
  return `${text}\n`;
}
