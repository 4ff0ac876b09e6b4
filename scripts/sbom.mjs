#!/usr/bin/env node
// Writes bom.json: a CycloneDX 1.6 SBOM of every shipped package (backend and frontend production
// dependency trees), from what npm installed per the lockfile. Deterministic (no timestamp or
// serial number), so CI can check that the committed file is current: `node scripts/sbom.mjs --check`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shippedPackages } from './lib/shipped-packages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function purl(p) {
  const name = p.name.startsWith('@') ? `%40${p.name.slice(1)}` : p.name;
  return `pkg:npm/${name}@${p.version}`;
}

function licenses(expression) {
  if (/^[A-Za-z0-9.+-]+$/.test(expression)) return [{ license: { id: expression } }];
  return [{ expression }];
}

function hashes(integrity) {
  const m = /^sha512-(.+)$/.exec(integrity ?? '');
  return m ? [{ alg: 'SHA-512', content: Buffer.from(m[1], 'base64').toString('hex') }] : [];
}

export function buildBom() {
  const app = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const components = shippedPackages(root).map((p) => ({
    type: 'library', 'bom-ref': purl(p), name: p.name, version: p.version, purl: purl(p), licenses: licenses(p.license), hashes: hashes(p.integrity),
  }));
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: {
      component: { type: 'application', 'bom-ref': 'kontor', name: 'kontor', version: app.version ?? '0.0.0' },
      tools: { components: [{ type: 'application', name: 'kontor scripts/sbom.mjs' }] },
    },
    components,
  };
}

const file = path.join(root, 'bom.json');
const text = `${JSON.stringify(buildBom(), null, 2)}\n`;
if (process.argv.includes('--check')) {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (current !== text) {
    console.error('bom.json does not match the installed dependencies: run `npm run sbom` and commit it.');
    process.exit(1);
  }
  console.log(`bom.json is current (${JSON.parse(text).components.length} components).`);
} else {
  fs.writeFileSync(file, text);
  console.log(`wrote bom.json (${JSON.parse(text).components.length} components)`);
}
