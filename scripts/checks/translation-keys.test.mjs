// Translation keys (issue 15): German and English have the same keys, and no key is kept that the
// SPA never shows. A key counts as used when its full name is a string in frontend/app (a template's
// {{t "a.b"}}, a ts 'a.b'), when it is a server message's text (a code of the backend's error
// catalogue, import or calculation errors, under the namespaces error-message.ts reads), or when it
// lies under one of the dynamic prefixes below, which code completes at run time. A new dynamic
// prefix in the code (`x.y.${v}`, (concat "x.y." v)) fails the test until it is listed here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CALCULATION_ERRORS, CATALOGUE, IMPORT_ERRORS } from '../../backend/src/http/error-catalogue.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const frontend = path.join(root, 'frontend');

/** Prefixes completed at run time, each with where and from what. */
export const DYNAMIC_PREFIXES = {
  'calculations.status.': 'a run\'s status (calculation-history, overview/recent-work)',
  'calculations.kind.': 'a run\'s kind, segmentation or leasing',
  'calculations.param.': 'a leasing parameter\'s field name (calculations-panel)',
  'admin.settings.accessHint.': 'the bank\'s vendor access mode (settings-form)',
  'modules.': 'a module name from the licence (licence-editor, tenants-admin, tenant-create-form)',
  'admin.recert.decision.': 'a recertification item\'s decision, or open',
  'admin.recert.scope.': 'a campaign\'s scope',
  'admin.recert.status.': 'a campaign\'s status, or overdue',
  'admin.users.statusValue.': 'a user\'s status, or invited',
  'vendorAccess.modeNow.': 'the bank\'s current access mode',
  'vendorAccess.state.': 'an access request\'s state (access-request-card)',
  'vendorAccess.action.': 'an access request\'s action verb (access-request-card)',
  'admin.approvals.kind.': 'a four-eyes approval\'s kind',
  'admin.approvals.status.': 'a four-eyes approval\'s status',
  'health.': 'the health probe\'s state (health-status)',
  'login.ended.': 'the reason the server gave for an ended session (session service)',
  'containers.kind.': 'an import slot\'s data kind (import-slot)',
  'names.': 'identifiers from data: roles, rights, audit types, subjects, segments (utils/names.ts)',
  'potentialRates.': 'a leasing potential rate field (calculations-panel)',
  'weights.': 'a leasing weight field (calculations-panel)',
  'fields.': 'a field path of the API, part by part (utils/error-message.ts)',
  'errors.': 'server error codes (checked against the catalogue below, not taken as used)',
};
/** Strings ending in a dot that are no key prefix. */
const NOT_KEY_PREFIXES = { 'app.': 'route names (the password-change gate checks `startsWith(\'app.\')`)' };
/** Namespaces of server messages (utils/error-message.ts): `<ns>.<code>` and `<ns>.<code>.<reason>`. */
const SERVER_NAMESPACES = ['errors', 'importErrors', 'calculationErrors'];

function flatten(obj, prefix = '') {
  return Object.entries(obj).flatMap(([k, v]) => (v && typeof v === 'object' ? flatten(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}
const read = (rel) => JSON.parse(fs.readFileSync(path.join(frontend, rel), 'utf8'));

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(gts|ts|js)$/.test(e.name) && !/^translations-core-/.test(e.name) ? [p] : [];
  });
}
const appText = sources(path.join(frontend, 'app')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
/** Every quoted string of the app that looks like a key or a code. */
const literals = new Set([...appText.matchAll(/(["'`])([A-Za-z0-9_.-]+)\1/g)].map((m) => m[2]));
/** Prefixes the code completes: `a.b.${x}` and "a.b." (for concat). */
const prefixesInCode = new Set([
  ...[...appText.matchAll(/`([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*\.)\$\{/g)].map((m) => m[1]),
  ...[...literals].filter((s) => /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*\.$/.test(s)),
]);
const backendText = sources(path.join(root, 'backend', 'src')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
/** What the server can name: the catalogue's codes, and the refusal codes it puts into a redirect (`?directoryError=`). */
const serverCodes = new Set([
  ...Object.keys(CATALOGUE), ...Object.keys(IMPORT_ERRORS), ...Object.keys(CALCULATION_ERRORS),
  ...[...backendText.matchAll(/'([a-z][a-z_]+)'/g)].map((m) => m[1]),
]);

function isUsed(key) {
  if (literals.has(key)) return true;
  const [ns, code] = key.split('.');
  if (SERVER_NAMESPACES.includes(ns)) return serverCodes.has(code) || literals.has(code);
  return Object.keys(DYNAMIC_PREFIXES).some((p) => key.startsWith(p));
}

describe('translation keys', () => {
  const de = flatten(read('translations/de-de.json'));
  const en = flatten(read('translations/en-us.json'));

  it('German and English have the same keys (also the error texts)', () => {
    assert.deepEqual(de.filter((k) => !en.includes(k)), [], 'only in German');
    assert.deepEqual(en.filter((k) => !de.includes(k)), [], 'only in English');
    const eDe = flatten(read('error-texts/errors-de-de.json'));
    const eEn = flatten(read('error-texts/errors-en-us.json'));
    assert.deepEqual(eDe.filter((k) => !eEn.includes(k)), [], 'error texts only in German');
    assert.deepEqual(eEn.filter((k) => !eDe.includes(k)), [], 'error texts only in English');
  });

  it('no key is both a translation and an error text (the later chunk would silently win over the other)', () => {
    for (const lang of ['de-de', 'en-us']) {
      const texts = new Set(flatten(read(`error-texts/errors-${lang}.json`)));
      assert.deepEqual(flatten(read(`translations/${lang}.json`)).filter((k) => texts.has(k)), [], `${lang}: keep these in error-texts/ only`);
    }
  });

  it('every key is used by the app, a server code or a listed dynamic prefix', () => {
    assert.deepEqual(en.filter((k) => !isUsed(k)), []);
  });

  it('every key prefix the code completes at run time is listed (and every listed one is still in the code)', () => {
    const topLevel = new Set([...Object.keys(read('translations/en-us.json')), ...Object.keys(read('error-texts/errors-en-us.json'))]);
    const relevant = [...prefixesInCode].filter((p) => topLevel.has(p.split('.')[0]) && !(p in NOT_KEY_PREFIXES));
    const listed = (p) => Object.keys(DYNAMIC_PREFIXES).some((d) => p.startsWith(d)) || SERVER_NAMESPACES.includes(p.slice(0, -1));
    assert.deepEqual(relevant.filter((p) => !listed(p)).sort(), [], 'add it to DYNAMIC_PREFIXES with where it comes from');
    assert.deepEqual(Object.keys(DYNAMIC_PREFIXES).filter((p) => ![...prefixesInCode].some((c) => c.startsWith(p))).sort(), [], 'a listed prefix the code no longer builds');
  });
});
