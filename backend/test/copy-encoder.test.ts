import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { CopyEncoder, EncodingError, LineTooLong, MAX_LINE_BYTES } from '../src/imports/copy-encoder.js';
import { MalformedCsv, splitLine } from '../src/imports/csv-lines.js';
import { copyLine, FORMATS, readHeader, readRow, type ImportError, type ImportKind } from '../src/imports/formats.js';

interface Encoded {
  copy: string;
  errors: ImportError[];
  /** Rows the fast path declined and the reference path handled. */
  referenceRows: number;
  rows: number;
}

/** Runs the encoder over `chunks` with the import's own handlers (errors collected, never thrown). */
async function encode(kind: ImportKind, chunks: Iterable<Buffer>): Promise<Encoded> {
  const errors: ImportError[] = [];
  let order: number[] = [];
  let referenceRows = 0;
  const out: Buffer[] = [];
  const encoder = new CopyEncoder(kind, {
    header(cells) {
      const header = readHeader(kind, cells);
      if ('errors' in header) throw new Error(`bad header: ${JSON.stringify(header.errors)}`);
      order = header.order;
      return order;
    },
    row(cells, line) {
      referenceRows++;
      const result = readRow(kind, order, cells, line);
      if ('errors' in result) {
        errors.push(...result.errors);
        return undefined;
      }
      return copyLine(line, result.values);
    },
  });
  await pipeline(Readable.from(chunks), encoder, new Writable({ write(c: Buffer, _e, done) { out.push(c); done(); } }));
  return { copy: Buffer.concat(out).toString('utf8'), errors, referenceRows, rows: encoder.rows };
}

/** What the import did before the fast path existed: decode, split, readRow every line. */
function reference(kind: ImportKind, text: string): { copy: string; errors: ImportError[]; rows: number } {
  const errors: ImportError[] = [];
  let copy = '';
  let order: number[] | undefined;
  let rows = 0;
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, i) => {
    const clean = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (clean.trim() === '') return;
    const cells = splitLine(clean, i + 1);
    if (!order) {
      order = (readHeader(kind, cells) as { order: number[] }).order;
      return;
    }
    rows++;
    const result = readRow(kind, order, cells, i + 1);
    if ('errors' in result) errors.push(...result.errors);
    else copy += copyLine(i + 1, result.values);
  });
  return { copy, errors, rows };
}

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Per column: cells the rules accept, and cells at or just over every edge of the rules. */
const CELLS: Record<string, { good: string[]; edge: string[] }> = {
  group_id: { good: ['KV00000001', 'a-b_C9', 'x'.repeat(64)], edge: ['x'.repeat(65), '', ' KV2', 'KV 3', 'Kä', 'K\u00a0', 'KV.1'] },
  kind: { good: ['PK', 'FK'], edge: ['pk', '', 'PK ', 'XK'] },
  customer_type: { good: ['100', '359', '999'], edge: ['099', '1000', '0100', '-100', '', '12a', ' 200', '1e2'] },
  branch: { good: ['1', '177', 'Nord-West 12', 'a'.repeat(16)], edge: ['Süd', 'a'.repeat(17), ' a', 'a ', 'a\\b', '', '\u00a0x', 'ü'.repeat(16)] },
  postcode: { good: ['12345', '01234'], edge: ['1234', '123456', 'abcde', '', '1234 '] },
  age: { good: ['-1', '0', '45', '120'], edge: ['121', '-2', '007', '-0', '', '1.5', '+5'] },
  industry: { good: ['', '49.41', '01', '10.1', '46.19.1'], edge: ['1', '49.4.1.1', '49.411', '49..1', 'ab', '49.', '.4'] },
  turnover: { good: ['', '0', '250000', '1234,5', '1234.56', '-0,00'], edge: ['1234,567', '-5', '1.234,56', '12345678901234567', '1e5', ',5', '5,', ' 5'] },
  rating: { good: ['', '1', '10', '18'], edge: ['19', '0', '01', '-1', 'A'] },
  negative_flag: { good: ['0', '1'], edge: ['2', '', 'true', ' 1'] },
  online_logins_12m: { good: ['0', '91', '2000000000'], edge: ['2000000001', '-1', '', '00', '1,0'] },
  product_group: { good: ['GIRO', 'SAVINGS', 'INVESTMENT_LOAN', 'LEASING'], edge: ['giro', '', 'LOANS', 'GIRO '] },
  balance: { good: ['0', '960,74', '-148081,00', '12.5', '-0'], edge: ['', '1,234', '1.2.3', '--1', '9'.repeat(17), 'abc'] },
  balance_avg: { good: ['0,00', '100', '-3,5'], edge: ['', '1e3', '1,'] },
  count: { good: ['1', '2', '2000000000'], edge: ['0', '', '-1', '01', '2000000001'] },
  category: { good: ['LEASING_OTHER', 'OTHER', 'VEHICLE_FINANCE'], edge: ['other', '', 'LEASING'] },
  count_12m: { good: ['0', '17'], edge: ['-1', '', '1.0'] },
  sum_12m: { good: ['0', '85004,40', '5721.09'], edge: ['-1', '', '-0,01', '1,999'] },
};

function generate(kind: ImportKind, rows: number, seed: number): string {
  const rnd = random(seed);
  const pick = <T>(list: T[]) => list[Math.floor(rnd() * list.length)]!;
  const names = FORMATS[kind].map((c) => c.name);
  // The header in a shuffled order: rows must be re-ordered into the format's order.
  const order = [...names].sort(() => rnd() - 0.5);
  const lines = [order.join(';')];
  for (let i = 0; i < rows; i++) {
    const r = rnd();
    if (r < 0.02) lines.push('');
    else if (r < 0.03) lines.push('   ');
    else {
      const cells = order.map((name) => (rnd() < 0.9 ? pick(CELLS[name]!.good) : pick(CELLS[name]!.edge)));
      if (r < 0.05) cells.pop();
      else if (r < 0.06) cells.push('extra');
      lines.push(cells.join(';'));
    }
  }
  return lines.map((l) => (rnd() < 0.1 ? `${l}\r` : l)).join('\n') + (rnd() < 0.5 ? '\n' : '');
}

/** Cuts `bytes` at random places, also inside BOMs and multi-byte characters. */
function chunked(bytes: Buffer, seed: number): Buffer[] {
  const rnd = random(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = 1 + Math.floor(rnd() * 300);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('COPY encoder', () => {
  for (const kind of ['customer_groups', 'products', 'payments'] as const) {
    it(`${kind}: the fast path writes exactly what the reference path writes, and declines what it must`, async () => {
      for (let seed = 1; seed <= 8; seed++) {
        const text = (seed % 2 ? '\ufeff' : '') + generate(kind, 2000, seed);
        const expected = reference(kind, text);
        const got = await encode(kind, chunked(Buffer.from(text, 'utf8'), seed));
        assert.equal(got.copy, expected.copy, `seed ${seed}: COPY text differs`);
        assert.deepEqual(got.errors, expected.errors, `seed ${seed}: errors differ`);
        assert.equal(got.rows, expected.rows, `seed ${seed}: row count differs`);
        // The comparison means something only if both paths were taken often.
        assert.ok(got.referenceRows > expected.rows * 0.05, `seed ${seed}: reference path hardly used`);
        assert.ok(got.referenceRows < expected.rows * 0.9, `seed ${seed}: fast path hardly used`);
      }
    });
  }

  it('numbers lines across chunk borders, skips blank lines, drops a BOM and CRs', async () => {
    const file = Buffer.from('\ufeffgroup_id;category;count_12m;sum_12m\r\nA;OTHER;1;', 'utf8');
    const got = await encode('payments', [file.subarray(0, 1), file.subarray(1, 7), file.subarray(7), Buffer.from('2,5\r\n\r\nB;OTHER;2;3\n')]);
    assert.equal(got.copy, '2\tA\tOTHER\t1\t2.5\n4\tB\tOTHER\t2\t3\n');
  });

  it('a last line without a line break is read', async () => {
    const got = await encode('payments', [Buffer.from('group_id;category;count_12m;sum_12m\nA;OTHER;1;0')]);
    assert.equal(got.copy, '2\tA\tOTHER\t1\t0\n');
  });

  it('refuses bytes that are not UTF-8, also split across chunks', async () => {
    const latin1 = Buffer.from('group_id;kind;customer_type;branch;postcode;age;industry;turnover;rating;negative_flag;online_logins_12m\nA;PK;100;S\xfcd;12345;1;;;;0;0\n', 'latin1');
    await assert.rejects(encode('customer_groups', [latin1]), (e: unknown) => e instanceof EncodingError && e.line === 2 && e.column === 'branch');
    const utf8 = Buffer.from('group_id;category;count_12m;sum_12m\nA;OTHER;1;0\n', 'utf8');
    const truncated = Buffer.concat([utf8, Buffer.from([0xc3])]);
    await assert.rejects(encode('payments', [truncated.subarray(0, 10), truncated.subarray(10)]), (e: unknown) => e instanceof EncodingError && e.line === 3 && e.column === 'group_id');
    const badHeader = Buffer.concat([Buffer.from('group_id;categ'), Buffer.from([0xff]), Buffer.from('ory;count_12m;sum_12m\nA;OTHER;1;0\n')]);
    await assert.rejects(encode('payments', [badHeader]), (e: unknown) => e instanceof EncodingError && e.line === 1 && e.column === null);
    // A multi-byte character cut in two by the chunking is fine.
    const umlaut = Buffer.from('group_id;kind;customer_type;branch;postcode;age;industry;turnover;rating;negative_flag;online_logins_12m\nA;PK;100;Süd;12345;1;;;;0;0\n', 'utf8');
    const cut = umlaut.indexOf(0xc3) + 1;
    const got = await encode('customer_groups', [umlaut.subarray(0, cut), umlaut.subarray(cut)]);
    assert.equal(got.copy, '2\tA\tPK\t100\tSüd\t12345\t1\t\\N\t\\N\t\\N\tf\t0\n');
  });

  it('leaves quoted lines to the reference path, which honours or refuses the quotes', async () => {
    const ok = await encode('payments', [Buffer.from('group_id;category;count_12m;sum_12m\n"A";"OTHER";"1";"2,5"\n')]);
    assert.equal(ok.copy, '2\tA\tOTHER\t1\t2.5\n');
    await assert.rejects(encode('payments', [Buffer.from('group_id;category;count_12m;sum_12m\n"A;OTHER;1;2\n')]), (e: unknown) => e instanceof MalformedCsv && e.line === 2);
  });

  it('a line over the bound fails at that line, having read little more than the bound (memory independent of the file)', async () => {
    assert.equal(MAX_LINE_BYTES, 64 * 1024);
    for (const mib of [2, 8]) {
      let fed = 0;
      function* file(): Generator<Buffer> {
        fed += 47;
        yield Buffer.from('group_id;category;count_12m;sum_12m\nA;OTHER;1;0\n');
        for (let i = 0; i < mib * 16; i++) {
          fed += 65536;
          yield Buffer.alloc(65536, 0x61);
        }
      }
      await assert.rejects(encode('payments', file()), (e: unknown) => e instanceof LineTooLong && e.line === 3 && e.limit === MAX_LINE_BYTES);
      // Readable.from reads a few chunks ahead; the encoder stops within one chunk after the bound.
      assert.ok(fed < 24 * 65536, `read ${fed} bytes of a ${mib} MiB line`);
    }
    // A line of exactly the bound is still a line (here a ragged row, reported as such).
    const exact = await encode('payments', [Buffer.from(`group_id;category;count_12m;sum_12m\n${'a'.repeat(MAX_LINE_BYTES)}\r\n`)]);
    assert.deepEqual(exact.errors.map((e) => e.code), ['ragged_row']);
    await assert.rejects(encode('payments', [Buffer.from(`group_id;category;count_12m;sum_12m\n${'a'.repeat(MAX_LINE_BYTES + 1)}\nA;OTHER;1;0\n`)]), (e: unknown) => e instanceof LineTooLong && e.line === 2);
    await assert.rejects(encode('payments', [Buffer.from('x'.repeat(MAX_LINE_BYTES + 1))]), (e: unknown) => e instanceof LineTooLong && e.line === 1);
  });
});
