// The contract the code cites lives in the repository: every `DESIGN §N` names a section of
// docs/design.md, and nothing points at a design file outside the checkout.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

it('every DESIGN §N reference resolves to a section of docs/design.md', () => {
  const sections = new Set([...fs.readFileSync(path.join(root, 'docs/design.md'), 'utf8').matchAll(/^## (\d+)\. /gm)].map((m) => m[1]));
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0')
    .filter((f) => /\.(ts|mjs|js|cjs|gts|hbs|md|yaml|yml|sql)$/.test(f) && !f.startsWith('licenses/') && fs.existsSync(path.join(root, f)));
  const unresolved = [];
  let references = 0;
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const m of text.matchAll(/DESIGN(?:\.md)? ?§ ?(\d+)((?:(?:,| and| or|\/) ?§ ?\d+)*)/g)) {
      for (const n of [m[1], ...[...m[2].matchAll(/\d+/g)].map((x) => x[0])]) {
        references++;
        if (!sections.has(n)) unresolved.push(`${file}: DESIGN §${n}`);
      }
    }
    if (/shared\/DESIGN\.md/.test(text)) unresolved.push(`${file}: points at a DESIGN.md outside the repository`);
  }
  assert.deepEqual(unresolved, []);
  assert.ok(references >= 10, `found only ${references} references`);
});
