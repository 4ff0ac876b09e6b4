import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CATALOGUE, fail, lookup, placeholders } from '../src/http/error-catalogue.js';

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
