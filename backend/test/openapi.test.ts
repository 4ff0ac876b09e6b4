import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { startTestKontor, type TestKontor } from './helpers/app.js';

let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

interface OpenApi {
  paths: Record<string, Record<string, { security?: unknown[]; 'x-kontor-right'?: string }>>;
}

describe('docs/openapi.yaml', () => {
  it('describes exactly the routes the app serves', () => {
    const spec = parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/openapi.yaml'), 'utf8')) as OpenApi;
    const documented = Object.entries(spec.paths)
      .flatMap(([p, ops]) => Object.keys(ops).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((m) => `${m.toUpperCase()} /api${p}`))
      .sort();
    const served = t.kontor.routes.entries.map((e) => `${e.method.toUpperCase()} /api${e.path.replace(/:(\w+)/g, '{$1}')}`).sort();
    assert.deepEqual(documented, served);
  });

  it('marks public routes as needing no session, and guarded ones as needing the cookie', () => {
    const spec = parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/openapi.yaml'), 'utf8')) as OpenApi;
    for (const e of t.kontor.routes.entries) {
      const op = spec.paths[e.path.replace(/:(\w+)/g, '{$1}')]![e.method]!;
      if (e.access === 'public') assert.deepEqual(op.security, [], `${e.method} ${e.path} should be public`);
      else assert.equal(op.security, undefined, `${e.method} ${e.path} must use the default session security`);
    }
  });
});
