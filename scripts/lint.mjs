#!/usr/bin/env node
// The lint gate (eslint.config.mjs) over backend, migrations, e2e, bench and scripts. Prints ESLint's
// usual report; with a file argument it also writes one JSON line per linted file (the format of
// node-test-reporter.mjs), which scripts/test-all.mjs counts as the suite `lint`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const eslint = new ESLint({ cwd: root });
const results = await eslint.lintFiles(['backend', 'migrations', 'e2e', 'bench', 'scripts']);
const formatter = await eslint.loadFormatter('stylish');
process.stdout.write(await formatter.format(results));
const failed = results.filter((r) => r.errorCount > 0);
const report = process.argv[2];
if (report) {
  fs.writeFileSync(report, results.map((r) => `${JSON.stringify({
    result: r.errorCount > 0 ? 'fail' : 'pass', kind: 'test', name: path.relative(root, r.filePath), nesting: 0, file: r.filePath, skip: false, todo: false,
  })}\n`).join(''));
}
process.stdout.write(`lint: ${results.length} files, ${failed.length} with errors\n`);
process.exit(failed.length ? 1 : 0);
