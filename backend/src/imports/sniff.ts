/**
 * What a file is, from its first bytes, before any line is parsed: a binary file (an image, a
 * spreadsheet, a PDF), a CSV with another separator, or the CSV of another kind. Each is refused as
 * a whole with one sentence that says what happened, instead of a line-by-line report of noise.
 */
import fs from 'node:fs';
import { importError, type ImportReportError } from '../http/error-catalogue.js';
import { FORMATS, IMPORT_KINDS, type ImportKind } from './formats.js';

/** How much of the file the sniffing reads. */
export const SNIFF_BYTES = 64 * 1024;

const SIGNATURES: { format: string; bytes: number[] }[] = [
  { format: 'PNG', bytes: [0x89, 0x50, 0x4e, 0x47] },
  { format: 'ZIP', bytes: [0x50, 0x4b, 0x03, 0x04] },
  { format: 'PDF', bytes: [0x25, 0x50, 0x44, 0x46] },
  { format: 'JPEG', bytes: [0xff, 0xd8, 0xff] },
  { format: 'GIF', bytes: [0x47, 0x49, 0x46, 0x38] },
  { format: 'GZIP', bytes: [0x1f, 0x8b] },
  { format: 'XLS', bytes: [0xd0, 0xcf, 0x11, 0xe0] },
];

/** Columns only one kind has: a header with them belongs to that kind. */
const DISTINCTIVE: Record<ImportKind, string[]> = {
  customer_groups: ['customer_type', 'postcode'],
  products: ['product_group', 'balance'],
  payments: ['category', 'sum_12m'],
};

function binaryFormat(head: Buffer): string | undefined {
  const found = SIGNATURES.find((s) => s.bytes.every((b, i) => head[i] === b))?.format;
  // An Excel workbook is a ZIP whose first entry names its parts.
  if (found === 'ZIP' && (head.includes('[Content_Types].xml') || head.includes('xl/'))) return 'XLSX';
  if (found) return found;
  // Text has no NUL bytes; a damaged line may hold one (reported at its line), a binary file many.
  const start = head.subarray(0, 4096);
  const nuls = start.reduce((n, b) => n + (b === 0 ? 1 : 0), 0);
  return start.length >= 64 && nuls * 10 >= start.length ? 'binary' : undefined;
}

/** The refusal for a file that is not this kind's CSV, or undefined when it may be. */
export function sniff(kind: ImportKind, head: Buffer): ImportReportError | undefined {
  const at = { line: null, column: null };
  const format = binaryFormat(head);
  if (format) return importError('not_csv', at, { format });
  const end = head.indexOf(0x0a);
  const header = head.subarray(0, end === -1 ? head.length : end).toString('utf8').replace(/^\uFEFF/, '').replace(/\r$/, '');
  if (header === '') return undefined;
  const separator = header.includes(';') ? ';' : header.includes('\t') ? '\t' : header.includes(',') ? ',' : ';';
  const names = new Set(header.split(separator).map((n) => n.trim().replace(/^"|"$/g, '')));
  // A header of this kind with another separator: the columns are there, the separator is not ours.
  if (separator !== ';' && FORMATS[kind].filter((c) => names.has(c.name)).length >= 2) {
    return importError('wrong_separator', at, { reason: separator === '\t' ? 'tab' : 'comma' });
  }
  const mine = DISTINCTIVE[kind].some((n) => names.has(n));
  const other = IMPORT_KINDS.find((k) => k !== kind && DISTINCTIVE[k].every((n) => names.has(n)));
  if (!mine && other) return importError('wrong_kind', at, { reason: other });
  if (separator !== ';') return importError('wrong_separator', at, { reason: separator === '\t' ? 'tab' : 'comma' });
  return undefined;
}

/** The first bytes of a spooled file. */
export async function readHead(file: string): Promise<Buffer> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
