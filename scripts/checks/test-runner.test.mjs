// The root test runner's counts (scripts/lib/results.mjs) from real runner output: node's test
// runner through node-test-reporter.mjs, and TAP as testem writes it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { countNodeEvents, countTap } from '../lib/results.mjs';

const reporter = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../lib/node-test-reporter.mjs');

/** A nested `node --test` sees NODE_TEST_CONTEXT and would report to this run instead of its reporter. */
function withoutTestContext() {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

describe('test runner counts', () => {
  it('counts passed, failed and skipped tests of node\'s runner, a suite whose body throws, and a file that does not load', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-counts-'));
    fs.writeFileSync(path.join(tmp, 'a.test.mjs'), [
      "import { describe, it } from 'node:test';",
      "describe('s', () => { it('ok', () => {}); it('bad', () => { throw new Error('x'); }); it.skip('sk', () => {}); it.todo('td', () => { throw new Error('y'); }); });",
      "describe('body throws', () => { throw new Error('z'); });",
      "it('top', () => {});",
    ].join('\n'));
    fs.writeFileSync(path.join(tmp, 'b.test.mjs'), "import './missing.mjs';\n");
    const out = path.join(tmp, 'events.jsonl');
    const r = spawnSync(process.execPath, ['--test', `--test-reporter=${reporter}`, `--test-reporter-destination=${out}`, 'a.test.mjs', 'b.test.mjs'], { cwd: tmp, encoding: 'utf8', env: withoutTestContext() });
    const c = countNodeEvents(fs.readFileSync(out, 'utf8'));
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.notEqual(r.status, 0);
    assert.deepEqual({ passed: c.passed, failed: c.failed, skipped: c.skipped }, { passed: 2, failed: 3, skipped: 2 });
    assert.deepEqual(c.failures.map((f) => path.basename(f)), ['bad', 'body throws', 'b.test.mjs']);
  });

  it('counts testem\'s TAP, and a TAP document cut off before its plan is a failure', () => {
    const tap = ['ok 1 Chromium 131 - [3 ms] - a', 'ok 2 Chromium 131 - b # skip', 'not ok 3 Chromium 131 - c', '    ---', '        message: >', '            boom', '    ...', '', '1..3', '# tests 3', '# pass  1', '# skip  1', '# fail  1', ''].join('\n');
    assert.deepEqual(countTap(tap), { passed: 1, failed: 1, skipped: 1, failures: ['Chromium 131 - c'] });
    assert.equal(countTap('ok 1 Chromium 131 - a\n').failed, 1);
    assert.equal(countTap('').passed, 0);
  });
});
