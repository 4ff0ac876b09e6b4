#!/usr/bin/env node
// Runs every suite (backend, frontend, e2e, release checks, lint) after one build, then prints "N passed, N failed"
// and exits non-zero if any suite failed, crashed or ran no test. `npm test -- backend` runs one suite.
// First it makes sure the Debian packages the selected suites need are there (installing them as
// root with apt-get), so that `npm install && npm test` is all a fresh machine needs.
// The counts come from the runners' machine-readable output, never from their text: node's test
// runner writes JSON lines through scripts/lib/node-test-reporter.mjs, testem a TAP file.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPackages, missingPackages } from './lib/prerequisites.mjs';
import { readReport } from './lib/results.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeReporter = path.join(here, 'lib/node-test-reporter.mjs');
/** The spec reporter for people on stdout, and the JSON-lines reporter into `file`. */
const nodeReporters = (file) => ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${nodeReporter}`, `--test-reporter-destination=${file}`];

const suites = [
  { name: 'backend', command: ['npm', 'test', '-w', 'backend'], format: 'node' },
  { name: 'frontend', command: ['npm', 'test', '-w', 'frontend'], format: 'tap' },
  { name: 'e2e', command: ['npm', 'test', '-w', 'e2e'], format: 'node', needsBuild: true },
  { name: 'checks', command: (file) => ['node', '--import', 'tsx', '--test', ...nodeReporters(file), 'scripts/checks/'], format: 'node' },
  { name: 'lint', command: (file) => ['node', 'scripts/lint.mjs', file], format: 'node' },
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

function run(command, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env });
    child.on('error', (error) => {
      process.stderr.write(`could not start ${command[0]}: ${error.message}\n`);
      resolve(1);
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

if (selected.some((s) => s.needsBuild)) {
  if ((await run(['npm', 'run', 'build'])) !== 0) {
    process.stdout.write('\nbuild failed\n0 passed, 1 failed\n');
    process.exit(1);
  }
}

const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-test-report-'));
let passed = 0;
let failed = 0;
const summary = [];
const failures = [];
for (const suite of selected) {
  const started = Date.now();
  const file = path.join(reports, `${suite.name}.${suite.format === 'tap' ? 'tap' : 'jsonl'}`);
  const env = { ...process.env, KONTOR_TEST_REPORTERS: JSON.stringify(nodeReporters(file)), KONTOR_TESTEM_REPORT: file };
  const code = await run(typeof suite.command === 'function' ? suite.command(file) : suite.command, env);
  const c = readReport(file, suite.format) ?? { passed: 0, failed: 0, skipped: 0, failures: [] };
  // A crashed suite or one that ran nothing counts as a failure, never as silence.
  const crashed = code !== 0 && c.failed === 0;
  const empty = c.passed === 0 && c.failed === 0;
  const suiteFailed = c.failed + (crashed || empty ? 1 : 0);
  passed += c.passed;
  failed += suiteFailed;
  failures.push(...c.failures.map((name) => `${suite.name}: ${name}`));
  if (crashed || empty) failures.push(`${suite.name}: ${empty ? 'ran no test' : `exited with code ${code}`}`);
  const skipped = c.skipped ? `, ${c.skipped} skipped` : '';
  summary.push(`${suite.name}: ${c.passed} passed, ${suiteFailed} failed${skipped} (${Math.round((Date.now() - started) / 1000)} s)`);
}
fs.rmSync(reports, { recursive: true, force: true });
const failedList = failures.length ? `\nfailed:\n${failures.map((f) => `  ${f}`).join('\n')}\n` : '';
process.stdout.write(`${failedList}\n${summary.join('\n')}\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
