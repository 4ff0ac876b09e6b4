// Size budget of the SPA's first load (issue 15 item 2): a production build of frontend/ must ship at
// most JS_BUDGET bytes of JavaScript and CSS_BUDGET bytes of CSS, brotli (quality 11, as
// scripts/precompress.mjs writes them for nginx), before the first page can render.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

// Issue 15's target. The first load measured 113 447 B on 2026-12-01 (bench/README.md).
const JS_BUDGET = 120_000;
const CSS_BUDGET = 12_000;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const brotli = (file) => zlib.brotliCompressSync(fs.readFileSync(file), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

/**
 * What a browser fetches before the first page renders: the scripts, module preloads and style
 * sheets index.html names, every module they import statically (not `import()`), and the larger of
 * the two first-page language chunks (the app loads one before it renders; the rest of a language's
 * texts comes with the signed-in area, like a route's code).
 */
export function initialLoad(dist) {
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  const attr = (tag, name) => tag.match(new RegExp(`\\s${name}="([^"]*)"`))?.[1];
  const js = new Set();
  const css = new Set();
  for (const tag of html.match(/<(?:script|link)\b[^>]*>/g) ?? []) {
    const url = attr(tag, 'src') ?? attr(tag, 'href');
    if (!url?.startsWith('/')) continue;
    if (tag.startsWith('<script') || /rel="modulepreload"/.test(tag)) js.add(url.slice(1));
    else if (/rel="stylesheet"/.test(tag)) css.add(url.slice(1));
  }
  const queue = [...js];
  while (queue.length) {
    const file = queue.pop();
    const code = fs.readFileSync(path.join(dist, file), 'utf8');
    for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+\.js)["']/g)) {
      const dep = path.posix.join(path.posix.dirname(file), m[1]);
      if (!js.has(dep)) {
        js.add(dep);
        queue.push(dep);
      }
    }
  }
  const languages = fs.readdirSync(path.join(dist, 'assets')).filter((f) => /^translations-core-(de-de|en-us)-[\w-]+\.js$/.test(f));
  const language = languages.map((f) => `assets/${f}`).sort((a, b) => brotli(path.join(dist, b)) - brotli(path.join(dist, a)))[0];
  if (language) js.add(language);
  const sum = (files) => [...files].reduce((total, f) => total + brotli(path.join(dist, f)), 0);
  return { js: sum(js), css: sum(css), jsFiles: [...js], cssFiles: [...css], languages };
}

describe('frontend size budget (brotli)', () => {
  let dist;
  let load;
  before(() => {
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-budget-'));
    const r = spawnSync('npx', ['vite', 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'error'], { cwd: path.join(root, 'frontend'), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    load = initialLoad(dist);
    console.log(`initial JS ${load.js} B (budget ${JS_BUDGET}), CSS ${load.css} B (budget ${CSS_BUDGET}), brotli`);
  });
  after(() => fs.rmSync(dist, { recursive: true, force: true }));

  it(`initial JavaScript is at most ${JS_BUDGET} bytes`, () => {
    assert.ok(load.js <= JS_BUDGET, `initial JS is ${load.js} B brotli: ${load.jsFiles.join(', ')}`);
  });

  it(`initial CSS is at most ${CSS_BUDGET} bytes`, () => {
    assert.ok(load.css <= CSS_BUDGET, `initial CSS is ${load.css} B brotli: ${load.cssFiles.join(', ')}`);
  });

  it('Chart.js, the admin and the platform area are not in the first load', () => {
    const initial = load.jsFiles.map((f) => fs.readFileSync(path.join(dist, f), 'utf8')).join('\n');
    // A message only Chart.js carries, and a text only the admin and platform tables render.
    assert.doesNotMatch(initial, /Canvas is already in use/);
    assert.ok(!load.jsFiles.some((f) => /route_app\.(admin|platform|calculation)/.test(f)), load.jsFiles.join(', '));
    const lazy = fs.readdirSync(path.join(dist, 'assets')).filter((f) => /route_app\.(admin|platform|calculation)-.*\.js$/.test(f));
    assert.equal(lazy.length, 3, `one chunk per split area: ${lazy.join(', ')}`);
    assert.equal(load.languages.length, 2, 'each language has a first-page chunk of its own');
    const full = fs.readdirSync(path.join(dist, 'assets')).filter((f) => /^(de-de|en-us)-[\w-]+\.js$/.test(f));
    assert.equal(full.length, 2, `and a chunk with all its texts: ${full.join(', ')}`);
    assert.ok(!load.jsFiles.some((f) => full.includes(path.basename(f))), 'which is not in the first load');
  });

  it('counts what index.html loads and what that imports (the measure can fail)', () => {
    // A fake build: an entry importing a module statically and another one lazily.
    const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-budget-fake-'));
    fs.mkdirSync(path.join(fake, 'assets'));
    fs.writeFileSync(path.join(fake, 'index.html'), '<script type="module" src="/assets/main.js"></script><link rel="stylesheet" href="/assets/main.css">');
    fs.writeFileSync(path.join(fake, 'assets/main.js'), 'import{a}from"./static.js";const l=()=>import("./lazy.js");');
    fs.writeFileSync(path.join(fake, 'assets/static.js'), 'export const a=1;'.repeat(50));
    fs.writeFileSync(path.join(fake, 'assets/lazy.js'), crypto.getRandomValues(new Uint8Array(50_000)).join(','));
    fs.writeFileSync(path.join(fake, 'assets/main.css'), '.a{color:red}');
    const fakeLoad = initialLoad(fake);
    fs.rmSync(fake, { recursive: true, force: true });
    assert.deepEqual(fakeLoad.jsFiles.sort(), ['assets/main.js', 'assets/static.js']);
    assert.ok(fakeLoad.js < 200 && fakeLoad.css > 0);
  });
});
