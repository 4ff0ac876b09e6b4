// Counts from the test runners' machine-readable output: the JSON lines of node-test-reporter.mjs
// (node's test runner) and TAP (testem), parsed with tap-parser.
import fs from 'node:fs';
import { Parser } from 'tap-parser';

/**
 * { passed, failed, skipped, failures: [name] } from node-test-reporter.mjs lines. Failed tests
 * count once each; a failed suite counts only when none of its tests failed (its hook or body threw).
 * Children are reported before their suite, so a flag per nesting depth and file is enough.
 */
export function countNodeEvents(text) {
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const failedBelow = new Map(); // `${file}\0${depth}` -> a test below that depth failed
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line);
    const key = (depth) => `${e.file}\0${depth}`;
    if (e.kind === 'suite') {
      if (e.result === 'fail' && !failedBelow.get(key(e.nesting))) {
        counts.failed += 1;
        counts.failures.push(e.name);
      }
      failedBelow.delete(key(e.nesting));
    } else if (e.skip || e.todo) {
      counts.skipped += 1;
    } else if (e.result === 'pass') {
      counts.passed += 1;
    } else {
      counts.failed += 1;
      counts.failures.push(e.name);
      for (let depth = 0; depth < e.nesting; depth++) failedBelow.set(key(depth), true);
    }
  }
  return counts;
}

/** { passed, failed, skipped, failures: [name] } from a TAP document (testem's report file). */
export function countTap(text) {
  const failures = [];
  let final;
  const parser = new Parser((results) => { final = results; });
  parser.on('assert', (a) => { if (!a.ok && !a.todo && !a.skip) failures.push(a.name); });
  parser.end(text);
  if (!final) return { passed: 0, failed: 0, skipped: 0, failures };
  const skipped = (final.skip ?? 0) + (final.todo ?? 0);
  return { passed: Math.max(0, (final.pass ?? 0) - skipped), failed: final.fail ?? 0, skipped, failures };
}

/** Counts from a report file, or undefined when the suite wrote none (it crashed before its tests). */
export function readReport(file, format) {
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, 'utf8');
  return format === 'tap' ? countTap(text) : countNodeEvents(text);
}
