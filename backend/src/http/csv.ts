/**
 * The one CSV writer of every export. Two dialects, because the files go to two kinds of reader:
 *
 * - `spreadsheet` (users.csv, the recertification list a person opens in Excel or LibreOffice):
 *   a cell starting with = + - @ TAB or CR is a formula there (CSV/formula injection, OWASP), so
 *   it is neutralised with a leading apostrophe; cells with ; " or line breaks are quoted; CRLF.
 * - `core-banking` (segmentation and leasing exports, read back by the core-banking system): the
 *   group ids must come back byte for byte as they were imported (`-` and digits are legal at
 *   their start, so an apostrophe would corrupt the key the bank joins on). Nothing is rewritten.
 *   Their cells cannot carry a formula into a spreadsheet that matters: group ids are
 *   `[A-Za-z0-9_-]` (imports refuse anything else), segment names refuse a leading = + - @ and any
 *   ; " or line break (definitions.ts), the rest are numbers and classes. The writer refuses a cell
 *   that would need quoting instead of quoting it, so a broken rule upstream cannot slip through.
 */
export type CsvDialect = 'spreadsheet' | 'core-banking';

const SEPARATOR = ';';
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[;"\r\n]/;

export class UnsafeCsvCell extends Error {
  constructor() {
    super('a core-banking export cell contains a separator, quote or line break');
    this.name = 'UnsafeCsvCell';
  }
}

export function csvCell(value: string, dialect: CsvDialect): string {
  if (dialect === 'core-banking') {
    if (NEEDS_QUOTES.test(value)) throw new UnsafeCsvCell();
    return value;
  }
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(cells: readonly string[], dialect: CsvDialect): string {
  return cells.map((c) => csvCell(c, dialect)).join(SEPARATOR);
}

/** A whole file: header, rows, and the dialect's line end after every line. */
export function csvDocument(header: readonly string[], rows: Iterable<readonly string[]>, dialect: CsvDialect): string {
  const end = dialect === 'spreadsheet' ? '\r\n' : '\n';
  let out = csvLine(header, dialect) + end;
  for (const row of rows) out += csvLine(row, dialect) + end;
  return out;
}

/**
 * A core-banking file whose rows the database already joined with the dialect's separator and
 * line end (one statement for a million groups, see calculations-store.ts): the writer adds the
 * header and the final line end, so the format is still decided here.
 */
export function coreBankingDocument(header: readonly string[], body: string, rows: number): string {
  return `${csvLine(header, 'core-banking')}\n${body}${rows > 0 ? '\n' : ''}`;
}
