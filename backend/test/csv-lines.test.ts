import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { csvBatches, MalformedCsv, splitLine } from '../src/imports/csv-lines.js';

async function records(text: string[]) {
  const out: { cells: string[]; line: number }[] = [];
  const batches: string[] = [];
  const stream = Readable.from(text).pipe(csvBatches((cells, line) => {
    out.push({ cells, line });
    return `${line};`;
  }));
  for await (const b of stream) batches.push(String(b));
  assert.equal(batches.join(''), out.map((r) => `${r.line};`).join(''), 'one output per line, in order');
  return out;
}

describe('CSV line splitting', () => {
  it('splits on ; and honours quotes with doubled quotes and separators inside', () => {
    assert.deepEqual(splitLine('a;b;;d', 1), ['a', 'b', '', 'd']);
    assert.deepEqual(splitLine('"08;15";"Sag ""Hallo""";x', 1), ['08;15', 'Sag "Hallo"', 'x']);
    assert.deepEqual(splitLine('"a"', 1), ['a']);
  });

  it('refuses broken quoting with the line number', () => {
    assert.throws(() => splitLine('"open;b', 7), (e: unknown) => e instanceof MalformedCsv && e.line === 7);
    assert.throws(() => splitLine('a"b;c', 3), MalformedCsv);
  });

  it('numbers lines across chunk borders, skips blank lines, drops a BOM and CRs', async () => {
    const got = await records(['\ufeffh1;h2\r\na;', 'b\r\n\r\nc;d', '\n']);
    assert.deepEqual(got, [{ cells: ['h1', 'h2'], line: 1 }, { cells: ['a', 'b'], line: 2 }, { cells: ['c', 'd'], line: 4 }]);
  });
});
