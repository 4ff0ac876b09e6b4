import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CALCULATION_ERRORS, CATALOGUE, fail, IMPORT_ERRORS, lookup, placeholders } from '../src/http/error-catalogue.js';
import { errorFields } from './helpers/error-fields.js';

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

describe('error catalogue', () => {
  it('is the only place an HTTP error is built: no throw site names a status or a message itself', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(src)) {
      const rel = path.relative(src, file);
      if (rel === path.join('http', 'error-catalogue.ts')) continue;
      const text = fs.readFileSync(file, 'utf8');
      text.split('\n').forEach((line, i) => {
        if (/new HttpError\(|extends HttpError\b/.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(offenders, [], 'throw through fail(code, …) of http/error-catalogue.ts');
  });

  it('fills every placeholder of a message from the parameters and sends them beside it', () => {
    const err = fail('too_many_uploads', { reason: 'bank', limit: 4, headers: { 'Retry-After': '5' } });
    assert.equal(err.status, 429);
    assert.equal(err.message, 'Your bank has 4 uploads in flight already. Wait until one has finished.');
    assert.deepEqual(err.params, { limit: 4 });
    assert.equal(err.reason, 'bank');
    assert.deepEqual(err.headers, { 'Retry-After': '5' });
    const field = fail('invalid_input', { reason: 'unknown_right', field: 'rights', right: 'x:y' });
    assert.equal(field.message, 'rights: "x:y" is not a right Kontor knows.');
    assert.deepEqual(field.params, { field: 'rights', right: 'x:y' });
    assert.equal(field.field, 'rights');
    // A reason may answer with its own status.
    assert.equal(fail('invalid_code', { reason: 'sign_in' }).status, 401);
    assert.equal(fail('invalid_code', { reason: 'recovery', field: 'code' }).status, 400);
    assert.equal(fail('busy').headers['Retry-After'], '1');
  });

  it('every message is a sentence whose placeholders are plain names, and no code is listed twice with one message', () => {
    const seen = new Map<string, string>();
    for (const [code, entry] of Object.entries(CATALOGUE)) {
      assert.match(code, /^[a-z][a-z_]*$/, code);
      const texts = 'message' in entry ? { '': entry.message } : entry.reasons;
      for (const [reason, text] of Object.entries(texts)) {
        const found = lookup(code, reason || undefined)!;
        assert.ok(found.status >= 400 && found.status < 600, `${code} ${reason}`);
        assert.match(found.message, /[.)]$/, `${code} ${reason} ends as a sentence`);
        for (const name of placeholders(found.message)) assert.match(name, /^[a-z][a-zA-Z]*$/, `${code} ${reason}: {${name}}`);
        const other = seen.get(found.message);
        assert.ok(other === undefined, `${code} ${reason} repeats the message of ${other ?? ''}`);
        seen.set(found.message, `${code} ${reason}`);
        assert.equal(typeof text === 'string' ? text : text.message, found.message);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The SPA says every one of these in German and in English, with every parameter.

const frontend = path.join(src, '..', '..', 'frontend');
type Texts = Map<string, string>;
function flatten(obj: unknown, prefix: string, out: Texts): Texts {
  if (typeof obj === 'string') out.set(prefix, obj);
  else if (obj && typeof obj === 'object') for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}
/** The SPA's texts of a language: the main translations and the lazily loaded error texts. */
export function spaTexts(locale: 'de-de' | 'en-us'): Texts {
  const out: Texts = new Map();
  flatten(JSON.parse(fs.readFileSync(path.join(frontend, 'translations', `${locale}.json`), 'utf8')), '', out);
  flatten(JSON.parse(fs.readFileSync(path.join(frontend, 'error-texts', `errors-${locale}.json`), 'utf8')), '', out);
  return out;
}
/** The argument names of an ICU message (`{limit, number}` counts as `limit`). */
const icuArguments = (text: string) => new Set([...text.matchAll(/\{\s*(\w+)\s*[,}]/g)].map((m) => m[1]!));

/** Every message the backend can put in front of a user: its SPA key and the parameters it comes with. */
function everyServerMessage(): { key: string; params: string[]; mayUse: string[] }[] {
  const list: { key: string; params: string[]; mayUse: string[] }[] = [];
  const walk = (namespace: string, catalogue: Record<string, { message: string } | { reasons: Record<string, string | { message: string }> }>, mayUse: string[]) => {
    for (const [code, entry] of Object.entries(catalogue)) {
      const texts = 'message' in entry ? { '': entry.message } : entry.reasons;
      for (const [reason, text] of Object.entries(texts)) {
        const message = typeof text === 'string' ? text : text.message;
        list.push({ key: [namespace, code, reason].filter(Boolean).join('.'), params: placeholders(message), mayUse });
      }
    }
  };
  walk('errors', CATALOGUE, []);
  walk('importErrors', IMPORT_ERRORS, ['line', 'column']);
  walk('calculationErrors', CALCULATION_ERRORS, []);
  // Codes the SPA makes itself (api.ts): the server unreachable, an answer without a JSON body.
  list.push({ key: 'errors.network_error', params: [], mayUse: [] }, { key: 'errors.http_error', params: [], mayUse: [] });
  return list;
}

describe('the SPA speaks every error of the server', () => {
  for (const locale of ['de-de', 'en-us'] as const) {
    it(`${locale}: every code and reason has a text with exactly its parameters`, () => {
      const texts = spaTexts(locale);
      const problems: string[] = [];
      const all = everyServerMessage();
      assert.ok(all.length > 150, `${all.length} messages`);
      for (const { key, params, mayUse } of all) {
        const text = texts.get(key);
        if (text === undefined) {
          problems.push(`${key}: missing`);
          continue;
        }
        const used = icuArguments(text);
        for (const p of params) if (!used.has(p)) problems.push(`${key}: lacks {${p}}`);
        for (const u of used) if (!params.includes(u) && !mayUse.includes(u)) problems.push(`${key}: {${u}} is not a parameter the server sends`);
      }
      assert.deepEqual(problems, []);
    });

    it(`${locale}: every field an error can name has a label (an array element as <name>Item with {n})`, async () => {
      const texts = spaTexts(locale);
      const fields = await errorFields();
      assert.ok(fields.has('template.segments.#.kut') && fields.has('roleIds') && fields.has('tenantId'), [...fields].join(' '));
      const missing = new Set<string>();
      for (const field of fields) {
        const parts = field.split('.');
        parts.forEach((part, i) => {
          if (part === '#') return;
          const key = parts[i + 1] === '#' ? `fields.${part}Item` : `fields.${part}`;
          const text = texts.get(key);
          if (text === undefined) missing.add(`${key} (${field})`);
          else if (key.endsWith('Item') && !icuArguments(text).has('n')) missing.add(`${key}: lacks {n}`);
        });
      }
      assert.deepEqual([...missing], []);
    });
  }

  it('the check can fail: a text without its parameter, or none, is found', () => {
    const texts = spaTexts('en-us');
    assert.ok(icuArguments(texts.get('importErrors.line_too_long')!).has('limit'));
    assert.ok(!icuArguments('Line is too long.').has('limit'));
    assert.equal(texts.get('errors.no_such_code'), undefined);
  });
});
