// The packages Kontor ships: the production dependency trees of the backend and frontend
// workspaces (the frontend's are the ones bundled into the SPA), as npm resolved them from the lockfile.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const WORKSPACES = ['@kontor/backend', 'frontend'];

/** [{ name, version, license, integrity, dir }] sorted by name and version, each once. */
export function shippedPackages(root) {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--json', '--long', '-w', 'backend', '-w', 'frontend'], {
    cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  const tree = JSON.parse(out);
  // Integrity from the lockfile itself: `npm ls` reports it only for some install histories.
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages ?? {};
  const integrityOf = (dir) => lock[path.relative(root, dir).split(path.sep).join('/')]?.integrity ?? null;
  const found = new Map();
  const walk = (node) => {
    for (const [name, dep] of Object.entries(node.dependencies ?? {})) {
      if (!dep.version || !dep.path) continue;
      const key = `${name}@${dep.version}`;
      if (found.has(key)) continue;
      const manifest = JSON.parse(fs.readFileSync(path.join(dep.path, 'package.json'), 'utf8'));
      found.set(key, { name, version: dep.version, license: licenseOf(manifest), integrity: integrityOf(dep.path), dir: dep.path });
      walk(dep);
    }
  };
  for (const ws of WORKSPACES) walk(tree.dependencies?.[ws] ?? {});
  return [...found.values()].sort((a, b) => (a.name === b.name ? a.version.localeCompare(b.version) : a.name < b.name ? -1 : 1));
}

/** The SPDX expression a package declares (old manifests use an object or an array). */
function licenseOf(manifest) {
  const l = manifest.license ?? manifest.licenses;
  if (typeof l === 'string') return l;
  if (Array.isArray(l)) return l.map((x) => (typeof x === 'string' ? x : x.type)).join(' OR ');
  if (l && typeof l === 'object') return l.type ?? 'UNKNOWN';
  return 'UNKNOWN';
}

/** A file name for a package version: scopes lose their @ and slash. */
export function fileStem(p) {
  return `${p.name.replace(/^@/, '').replace('/', '__')}@${p.version}`;
}
