#!/usr/bin/env node
// Moves a finished build (`frontend/dist.next`) into `frontend/dist` without ever emptying it: a
// server already running from this checkout (a second `npm start` of a cluster builds while the
// first serves) keeps answering. Every file is replaced by one rename (atomic), new files arrive
// before index.html points at them, and files the new build no longer has are removed last.
import fs from 'node:fs';
import path from 'node:path';

const [from, to] = process.argv.slice(2).map((p) => path.resolve(p));
if (!from || !to) throw new Error('usage: publish-dist.mjs BUILD_DIR DIST_DIR');

const files = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }) : [])
  .filter((e) => e.isFile())
  .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));

const fresh = files(from);
const isEntry = (f) => /^index\.html(\.gz|\.br)?$/.test(f);
for (const f of [...fresh.filter((f) => !isEntry(f)), ...fresh.filter(isEntry)]) {
  fs.mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
  fs.renameSync(path.join(from, f), path.join(to, f));
}
const kept = new Set(fresh);
let removed = 0;
for (const f of files(to)) {
  if (kept.has(f)) continue;
  fs.rmSync(path.join(to, f));
  removed++;
}
fs.rmSync(from, { recursive: true, force: true });
console.log(`published ${fresh.length} files to ${to} (${removed} stale removed)`);
