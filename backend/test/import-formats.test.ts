import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyField, readHeader, readRow } from '../src/imports/formats.js';

const CG = ['group_id', 'kind', 'customer_type', 'branch', 'postcode', 'age', 'industry', 'turnover', 'rating', 'negative_flag', 'online_logins_12m'];
const order = (readHeader('customer_groups', CG) as { order: number[] }).order;
const row = (overrides: Record<string, string>) => CG.map((c) => overrides[c] ?? ({ group_id: 'G-1', kind: 'FK', customer_type: '400', branch: '0815', postcode: '12345', age: '-1', industry: '49.41', turnover: '1000000,50', rating: '', negative_flag: '0', online_logins_12m: '3' } as Record<string, string>)[c]!);

describe('CSV formats (DESIGN §1)', () => {
  it('accepts the header in any order and reports missing, unknown and duplicate columns', () => {
    assert.ok('order' in readHeader('payments', ['sum_12m', 'group_id', 'count_12m', 'category']));
    const result = readHeader('payments', ['group_id', 'category', 'category', 'iban']) as { errors: { code: string; column: string }[] };
    assert.deepEqual(result.errors.map((e) => `${e.code}:${e.column}`).sort(), ['duplicate_column:category', 'missing_column:count_12m', 'missing_column:sum_12m', 'unknown_column:iban']);
  });

  it('types a valid row, decimal comma included, and leaves empty optional cells null', () => {
    const r = readRow('customer_groups', order, row({}), 2) as { values: unknown[] };
    assert.deepEqual(r.values, ['G-1', 'FK', 400, '0815', '12345', -1, '49.41', '1000000.50', null, false, 3]);
  });

  const cases: [string, Record<string, string>, string, string][] = [
    ['bad group id', { group_id: 'Müller' }, 'group_id', 'invalid_format'],
    ['kind', { kind: 'XX' }, 'kind', 'invalid_value'],
    ['customer type below 100', { customer_type: '99' }, 'customer_type', 'out_of_range'],
    ['postcode', { postcode: '1234' }, 'postcode', 'invalid_format'],
    ['age above 120', { age: '121' }, 'age', 'out_of_range'],
    ['rating 19', { rating: '19' }, 'rating', 'out_of_range'],
    ['negative turnover', { turnover: '-1' }, 'turnover', 'out_of_range'],
    ['thousands separator', { turnover: '1.000.000' }, 'turnover', 'invalid_format'],
    ['three decimals', { turnover: '1,005' }, 'turnover', 'invalid_format'],
    ['flag 2', { negative_flag: '2' }, 'negative_flag', 'invalid_value'],
    ['missing required', { branch: '' }, 'branch', 'required'],
    ['industry on PK', { kind: 'PK', turnover: '' }, 'industry', 'business_only'],
  ];
  for (const [name, overrides, column, code] of cases) {
    it(`rejects ${name} naming the column`, () => {
      const r = readRow('customer_groups', order, row(overrides), 7) as { errors: { line: number; column: string; code: string }[] };
      assert.ok('errors' in r, 'expected an error');
      assert.deepEqual(r.errors.map((e) => [e.line, e.column, e.code]), [[7, column, code]]);
    });
  }

  it('a ragged row is one error for the whole row', () => {
    const r = readRow('customer_groups', order, row({}).slice(0, 5), 9) as { errors: { column: null; code: string }[] };
    assert.deepEqual(r.errors.map((e) => [e.column, e.code]), [[null, 'ragged_row']]);
  });

  it('escapes values for COPY', () => {
    assert.equal(copyField(null), '\\N');
    assert.equal(copyField('a\tb\\c'), 'a\\tb\\\\c');
    assert.equal(copyField(true), 't');
  });
});
