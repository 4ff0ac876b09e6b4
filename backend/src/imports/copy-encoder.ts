import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { splitLine } from './csv-lines.js';
import { FORMATS, type FastCheck, type ImportKind } from './formats.js';

type Check = FastCheck & { required: boolean };

export class EncodingError extends Error {
  constructor(readonly line: number | null = null, readonly column: string | null = null) {
    super('not utf-8');
  }
}

/** The longest line read; the longest legal line of any format is a few hundred bytes. */
export const MAX_LINE_BYTES = 64 * 1024;

export class LineTooLong extends Error {
  readonly limit = MAX_LINE_BYTES;
  constructor(readonly line: number) {
    super('line too long');
  }
}

export interface EncoderHandlers {
  /** The header row's cells; returns the file's column positions in format order (or throws to stop). */
  header(cells: string[]): number[];
  /** A data row the fast path declined: validate it fully; return its COPY line, or undefined to drop it. */
  row(cells: string[], line: number): string | undefined;
}

const SEMICOLON = 0x3b;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
const BACKSLASH = 0x5c;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const MINUS = 0x2d;
const BOM = [0xef, 0xbb, 0xbf];

/**
 * CSV bytes in, PostgreSQL COPY text out, one line number first on every row.
 *
 * Almost every line of a real extract is plain ASCII and valid; those are checked and re-encoded
 * byte by byte without creating a string (about 0.4 µs a row instead of 4 µs). Everything else
 * — the header, quotes, non-ASCII bytes, a cell that is not exactly valid, a ragged row — takes
 * the reference path: decoded, split by `splitLine` and handed to `handlers.row`, which applies
 * the full rules of formats.ts and reports errors. The fast path only ever accepts a line the
 * reference path would accept, and writes the same COPY text for it (a property test holds the
 * two side by side). No cell may contain a line break, so line numbers are exact.
 */
export class CopyEncoder extends Transform {
  /** Data rows seen so far (header and blank lines excluded). */
  rows = 0;
  private line = 0;
  private rest: Buffer = Buffer.alloc(0);
  private started = false;
  private order: number[] | undefined;
  private headerCells: string[] | undefined;
  private readonly checks: Check[];
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private out: Buffer = Buffer.allocUnsafe(1 << 17);
  private pos = 0;

  constructor(kind: ImportKind, private readonly handlers: EncoderHandlers) {
    super();
    this.checks = FORMATS[kind].map((c) => ({ ...c.fast, required: c.required }));
    this.starts = new Int32Array(this.checks.length);
    this.ends = new Int32Array(this.checks.length);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    if (!this.started) {
      if (data.length < BOM.length && BOM.slice(0, data.length).every((b, i) => data[i] === b)) {
        this.rest = data;
        return done();
      }
      this.started = true;
      if (data[0] === BOM[0] && data[1] === BOM[1] && data[2] === BOM[2]) data = data.subarray(3);
    }
    const last = data.lastIndexOf(NEWLINE);
    if (last < 0) {
      // The unfinished line is kept whole, so it must stay short: this also keeps the copying above linear.
      if (data.length > MAX_LINE_BYTES + 1) return done(new LineTooLong(this.line + 1));
      this.rest = data;
      return done();
    }
    if (data.length - last - 1 > MAX_LINE_BYTES + 1) return this.run(data.subarray(0, last + 1), done, new LineTooLong(this.line + 1));
    // A line break never sits inside a UTF-8 sequence, so whole lines can be checked on their own.
    this.rest = Buffer.from(data.subarray(last + 1));
    this.run(data.subarray(0, last + 1), done);
  }

  override _flush(done: TransformCallback): void {
    if (!this.started || this.rest.length === 0) return done();
    const tail = this.rest;
    this.rest = Buffer.alloc(0);
    this.run(Buffer.concat([tail, Buffer.from([NEWLINE])]), done);
  }

  /** Encodes whole lines; `then` is an error for what follows them (a line that is too long). */
  private run(lines: Buffer, done: TransformCallback, then?: Error): void {
    // Checked for the whole chunk at once; only a bad chunk is checked line by line, to name the line.
    const checkEach = !isUtf8(lines);
    this.pos = 0;
    try {
      let start = 0;
      for (let nl = lines.indexOf(NEWLINE, start); nl >= 0; nl = lines.indexOf(NEWLINE, start)) {
        this.line++;
        const end = nl > start && lines[nl - 1] === CR ? nl - 1 : nl;
        if (end - start > MAX_LINE_BYTES) throw new LineTooLong(this.line);
        if (checkEach && !isUtf8(lines.subarray(start, end))) throw this.notUtf8(lines.subarray(start, end));
        this.encodeLine(lines, start, end);
        start = nl + 1;
      }
    } catch (err) {
      return done(err as Error);
    }
    if (then) return done(then);
    done(null, this.pos ? Buffer.from(this.out.subarray(0, this.pos)) : undefined);
  }

  /** Names the current line and the column (by the header's name) of the first byte that is not UTF-8. */
  private notUtf8(bytes: Buffer): EncodingError {
    if (!this.headerCells) return new EncodingError(this.line, null);
    let cell = 0;
    for (let from = 0; ; cell++) {
      const sep = bytes.indexOf(SEMICOLON, from);
      if (sep < 0 || !isUtf8(bytes.subarray(from, sep))) break;
      from = sep + 1;
    }
    return new EncodingError(this.line, this.headerCells[cell]?.trim() ?? null);
  }

  private encodeLine(buf: Buffer, s: number, e: number): void {
    if (s === e) return;
    if (!this.order) {
      const text = buf.toString('utf8', s, e);
      if (text.trim() === '') return;
      const cells = splitLine(text, this.line);
      this.order = this.handlers.header(cells);
      this.headerCells = cells;
      return;
    }
    if (!this.fast(buf, s, e)) this.slow(buf, s, e);
  }

  /** The reference path (csv-lines + formats.ts), exactly as for every line before the fast path. */
  private slow(buf: Buffer, s: number, e: number): void {
    const text = buf.toString('utf8', s, e);
    if (text.trim() === '') return;
    this.rows++;
    const copy = this.handlers.row(splitLine(text, this.line), this.line);
    if (copy === undefined) return;
    const bytes = Buffer.byteLength(copy);
    this.reserve(bytes);
    this.pos += this.out.write(copy, this.pos, 'utf8');
  }

  /** Encodes a plain, valid line and returns true; returns false (writing nothing) for anything else. */
  private fast(buf: Buffer, s: number, e: number): boolean {
    const { starts, ends, checks } = this;
    const order = this.order!;
    const columns = checks.length;
    let field = 0;
    starts[0] = s;
    for (let i = s; i < e; i++) {
      const c = buf[i]!;
      if (c === SEMICOLON) {
        ends[field] = i;
        if (++field === columns) return false;
        starts[field] = i + 1;
      } else if (c === QUOTE || c >= 0x80) {
        return false;
      }
    }
    ends[field] = e;
    if (field !== columns - 1) return false;
    // Validated and written in one pass; the position only moves on once the whole line passed.
    this.reserve(e - s + 12 + 2 * columns);
    const out = this.out;
    let p = this.writeNumber(this.line);
    let isPrivate = false;
    let hasBusinessValue = false;
    for (let col = 0; col < columns; col++) {
      const at = order[col]!;
      const check = checks[col]!;
      const fs = starts[at]!;
      const fe = ends[at]!;
      if (!passes(check, buf, fs, fe)) return false;
      out[p++] = TAB;
      if (fs === fe) {
        out[p++] = BACKSLASH;
        out[p++] = 0x4e; // N
        continue;
      }
      if (check.kindColumn) isPrivate = buf[fs] === 0x50; // "PK" (the check allowed only PK and FK)
      else if (check.businessOnly) hasBusinessValue = true;
      if (check.type === 'flag') {
        out[p++] = buf[fs] === 0x31 ? 0x74 : 0x66; // 1 → t, 0 → f
      } else {
        for (let i = fs; i < fe; i++) {
          const c = buf[i]!;
          out[p++] = c === 0x2c ? 0x2e : c; // decimal comma → point (commas pass no other check)
        }
      }
    }
    // customer_groups: industry and turnover are for business customers (FK) only.
    if (isPrivate && hasBusinessValue) return false;
    out[p++] = NEWLINE;
    this.pos = p;
    this.rows++;
    return true;
  }

  private writeNumber(n: number): number {
    let digits = 1;
    for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
    let p = this.pos + digits;
    const end = p;
    for (let v = n; p > this.pos; v = Math.floor(v / 10)) this.out[--p] = DIGIT_0 + (v % 10);
    return end;
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + bytes));
    this.out.copy(grown, 0, 0, this.pos);
    this.out = grown;
  }
}

const isDigit = (c: number) => c >= DIGIT_0 && c <= DIGIT_9;

/** The fast check of one cell: strict, ASCII only, no surrounding blanks; declining is always safe. */
function passes(check: Check, buf: Buffer, s: number, e: number): boolean {
  const len = e - s;
  if (len === 0) return !check.required;
  switch (check.type) {
    case 'group_id': {
      if (len > 64) return false;
      for (let i = s; i < e; i++) {
        const c = buf[i]!;
        if (!(isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === MINUS)) return false;
      }
      return true;
    }
    case 'enum':
      for (const v of check.values) {
        if (v.length !== len) continue;
        let i = 0;
        while (i < len && v[i] === buf[s + i]) i++;
        if (i === len) return true;
      }
      return false;
    case 'integer': {
      let i = s;
      const negative = buf[i] === MINUS;
      if (negative) i++;
      const digits = e - i;
      // Leading zeros and -0 are left to the reference path, which writes the number normalised.
      if (digits < 1 || digits > 10 || (buf[i] === DIGIT_0 && (digits > 1 || negative))) return false;
      let value = 0;
      for (; i < e; i++) {
        const c = buf[i]!;
        if (!isDigit(c)) return false;
        value = value * 10 + (c - DIGIT_0);
      }
      if (negative) value = -value;
      return value >= check.min && value <= check.max;
    }
    case 'text': {
      if (len > check.maxLength || buf[s] === 0x20 || buf[e - 1] === 0x20) return false;
      for (let i = s; i < e; i++) {
        const c = buf[i]!;
        if (c < 0x20 || c > 0x7e || c === BACKSLASH) return false;
      }
      return true;
    }
    case 'digits': {
      if (len !== check.length) return false;
      for (let i = s; i < e; i++) if (!isDigit(buf[i]!)) return false;
      return true;
    }
    case 'industry': {
      // \d{2}(\.\d{1,2}){0,2}
      if (len < 2 || !isDigit(buf[s]!) || !isDigit(buf[s + 1]!)) return false;
      let i = s + 2;
      for (let group = 0; i < e; group++) {
        if (group === 2 || buf[i] !== 0x2e) return false;
        i++;
        let n = 0;
        while (i < e && isDigit(buf[i]!) && n < 3) { i++; n++; }
        if (n < 1 || n > 2) return false;
      }
      return true;
    }
    case 'decimal': {
      // -?\d{1,16}([.,]\d{1,2})?, and at least `min` (0) when it has one
      let i = s;
      const negative = buf[i] === MINUS;
      if (negative) i++;
      let whole = 0;
      let nonZero = false;
      while (i < e && isDigit(buf[i]!)) {
        if (buf[i] !== DIGIT_0) nonZero = true;
        i++;
        whole++;
      }
      if (whole < 1 || whole > 16) return false;
      if (i < e) {
        if (buf[i] !== 0x2e && buf[i] !== 0x2c) return false;
        i++;
        let cents = 0;
        while (i < e && isDigit(buf[i]!)) {
          if (buf[i] !== DIGIT_0) nonZero = true;
          i++;
          cents++;
        }
        if (cents < 1 || cents > 2 || i !== e) return false;
      }
      return !(check.nonNegative && negative && nonZero);
    }
    case 'flag':
      return len === 1 && (buf[s] === DIGIT_0 || buf[s] === 0x31);
  }
}
