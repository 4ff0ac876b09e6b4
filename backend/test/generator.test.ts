import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { generate } from '../src/demo/generator.js';
import { readHeader, readRow } from '../src/imports/formats.js';

describe('demo data generator', () => {
  it('is deterministic per seed and writes only valid rows', async () => {
    const dirs = [0, 1, 2].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-gen-')));
    const a = await generate({ groups: 500, seed: 7, outDir: dirs[0]! });
    await generate({ groups: 500, seed: 7, outDir: dirs[1]! });
    await generate({ groups: 500, seed: 8, outDir: dirs[2]! });
    const read = (d: string, f: string) => fs.readFileSync(path.join(d, f), 'utf8');
    assert.equal(read(dirs[0]!, 'products.csv'), read(dirs[1]!, 'products.csv'));
    assert.notEqual(read(dirs[0]!, 'customer_groups.csv'), read(dirs[2]!, 'customer_groups.csv'));
    assert.equal(a.customerGroups, 500);
    assert.ok(a.payments > 0 && a.products > 500);
    for (const [kind, file] of [['customer_groups', 'customer_groups.csv'], ['products', 'products.csv'], ['payments', 'payments.csv']] as const) {
      const [header, ...lines] = read(dirs[0]!, file).trim().split('\n');
      const h = readHeader(kind, header!.split(';'));
      assert.ok('order' in h);
      lines.forEach((l, i) => {
        const r = readRow(kind, h.order, l.split(';'), i + 2);
        assert.ok('values' in r, `${file} line ${i + 2}: ${JSON.stringify(r)}`);
      });
    }
    const kinds = read(dirs[0]!, 'customer_groups.csv').split('\n').slice(1).filter(Boolean).map((l) => l.split(';')[1]);
    const fk = kinds.filter((k) => k === 'FK').length / kinds.length;
    assert.ok(fk > 0.1 && fk < 0.3, `business share ${fk}`);
    dirs.forEach((d) => fs.rmSync(d, { recursive: true }));
  });
});
