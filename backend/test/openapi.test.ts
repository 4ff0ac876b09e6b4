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
  paths: Record<string, Record<string, Operation>>;
}

interface Operation {
  security?: unknown[];
  'x-kontor-right'?: string;
  'x-kontor-module'?: string;
  'x-kontor-right-by-object'?: boolean;
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

  it('declares for each route the right, module and object check the route table enforces (x-kontor-right)', () => {
    const spec = parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/openapi.yaml'), 'utf8')) as OpenApi;
    const declared = (op: Operation) => ({ right: op['x-kontor-right'], module: op['x-kontor-module'], byObject: op['x-kontor-right-by-object'] ?? false });
    let guarded = 0;
    for (const e of t.kontor.routes.entries) {
      const op = spec.paths[e.path.replace(/:(\w+)/g, '{$1}')]![e.method]!;
      const route = `${e.method.toUpperCase()} ${e.path}`;
      if (e.access === 'public') {
        assert.deepEqual(declared(op), { right: undefined, module: undefined, byObject: false }, `${route} is public and needs no right`);
        continue;
      }
      guarded++;
      const right = e.access.right ? `${e.access.right.area}:${e.access.right.access}` : 'signed-in';
      assert.deepEqual(declared(op), { right, module: e.access.module, byObject: e.access.byObject !== undefined }, route);
    }
    assert.ok(guarded >= 40, `only ${guarded} guarded routes`);
  });
});
