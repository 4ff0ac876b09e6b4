#!/usr/bin/env node
// Runs every suite (backend, frontend, e2e, release checks) after one build, then prints "N passed, N failed"
// and exits non-zero if any suite failed or ran no test. `npm test -- backend` runs one suite.
// First it makes sure the Debian packages the selected suites need are there (installing them as
// root with apt-get), so that `npm install && npm test` is all a fresh machine needs.
import { spawn } from 'node:child_process';
import { installPackages, missingPackages } from './lib/prerequisites.mjs';

const suites = [
  { name: 'backend', command: ['npm', 'test', '-w', 'backend'] },
  { name: 'frontend', command: ['npm', 'test', '-w', 'frontend'] },
  { name: 'e2e', command: ['npm', 'test', '-w', 'e2e'], needsBuild: true },
  { name: 'checks', command: ['node', '--import', 'tsx', '--test', '--test-reporter=spec', 'scripts/checks/'] },
];
const only = process.argv.slice(2);
const unknown = only.filter((name) => !suites.some((s) => s.name === name));
if (unknown.length) {
  process.stderr.write(`unknown suite ${unknown.join(', ')}; the suites are ${suites.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
const selected = suites.filter((s) => only.length === 0 || only.includes(s.name));

const problem = installPackages(missingPackages(selected.map((s) => s.name)));
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}

function run(command) {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c) => { process.stdout.write(c); output += c; });
    child.stderr.on('data', (c) => { process.stderr.write(c); output += c; });
    child.on('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** node's test runner prints "ℹ pass N" (spec) or "# pass N" (tap); testem prints "# pass  N". */
function counts(output) {
  const last = (kind) => {
    const matches = [...output.matchAll(new RegExp(`^(?:ℹ|#)\\s+${kind}\\s+(\\d+)\\s*$`, 'gm'))];
    return matches.length ? Number(matches.at(-1)[1]) : undefined;
  };
  return { passed: last('pass'), failed: last('fail') };
}

if (selected.some((s) => s.needsBuild)) {
  const build = await run(['npm', 'run', 'build']);
  if (build.code !== 0) {
    process.stdout.write('\nbuild failed\n0 passed, 1 failed\n');
    process.exit(1);
  }
}

let passed = 0;
let failed = 0;
const summary = [];
for (const suite of selected) {
  const started = Date.now();
  const result = await run(suite.command);
  const c = counts(result.output);
  const suitePassed = c.passed ?? 0;
  // A crashed suite or one that ran nothing counts as a failure, never as silence.
  const suiteFailed = (c.failed ?? 0) + (result.code !== 0 && !c.failed ? 1 : 0) + (suitePassed === 0 ? 1 : 0);
  passed += suitePassed;
  failed += suiteFailed;
  summary.push(`${suite.name}: ${suitePassed} passed, ${suiteFailed} failed (${Math.round((Date.now() - started) / 1000)} s)`);
}
process.stdout.write(`\n${summary.join('\n')}\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
