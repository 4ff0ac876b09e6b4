import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MalformedCsv, splitLine } from '../src/imports/csv-lines.js';

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
});
