import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';

/** The language a user chose is kept on the server (issue 15): the profile route and the mails that follow it. */
let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

async function signedIn(u: TestUser): Promise<Client> {
  const c = new Client(t.url);
  assert.equal((await c.login(u.email, u.password)).status, 200);
  return c;
}

async function storedLocale(userId: string): Promise<string | null> {
  return (await t.owner('users').where({ id: userId }).first<{ locale: string | null }>('locale')).locale;
}

describe('the own profile keeps the language', () => {
  it('is null until chosen, then kept across sessions and in the session info', async () => {
    const u = await createTenantWithUser(t);
    const c = await signedIn(u);
    assert.deepEqual((await c.get('/api/auth/profile')).body, { email: u.email, name: 'Test Person', locale: null });
    const changed = await c.request('PATCH', '/api/auth/profile', { locale: 'en' });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.locale, 'en');
    assert.equal(await storedLocale(u.id), 'en');
    // A new sign-in (another device, after a reload) learns the language with the session.
    const again = new Client(t.url);
    const login = await again.login(u.email, u.password);
    assert.equal(login.body.user.locale, 'en');
    assert.equal((await again.get('/api/auth/session')).body.user.locale, 'en');
    assert.equal((await c.request('PATCH', '/api/auth/profile', { locale: null })).status, 200);
    assert.equal(await storedLocale(u.id), null);
  });

  it('refuses anything but de, en or null with 400, field and reason, and changes nothing', async () => {
    const u = await createTenantWithUser(t);
    const c = await signedIn(u);
    await c.request('PATCH', '/api/auth/profile', { locale: 'de' });
    for (const body of [{ locale: 'fr' }, { locale: 'DE' }, { locale: 7 }, {}, { locale: 'x'.repeat(10_000) }]) {
      const res = await c.request('PATCH', '/api/auth/profile', body);
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 40));
      assert.equal(res.body.error.code, 'invalid_input');
      assert.equal(res.body.error.field, 'locale');
      assert.ok(res.body.error.reason, 'a reason');
    }
    assert.equal(await storedLocale(u.id), 'de');
  });

  it('changes only the signed-in user: naming another user is refused, and without a session nothing happens', async () => {
    const u = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const other = await addUser(t, u.tenantId);
    const c = await signedIn(u);
    const named = await c.request('PATCH', '/api/auth/profile', { locale: 'en', userId: other.id });
    assert.equal(named.status, 400);
    assert.equal(await storedLocale(other.id), null);
    assert.equal(await storedLocale(u.id), null);
    assert.equal((await new Client(t.url).request('PATCH', '/api/auth/profile', { locale: 'en' })).status, 401);
    assert.equal((await c.request('PATCH', '/api/auth/profile', { locale: 'en' })).status, 200);
    assert.equal(await storedLocale(other.id), null);
    assert.equal(await storedLocale(u.id), 'en');
  });
});

describe("mails follow the recipient's language", () => {
  it('a reset link goes out in the chosen language only, and in MAIL_LOCALE (German) while none is chosen', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const english = await addUser(t, admin.tenantId);
    const undecided = await addUser(t, admin.tenantId);
    await t.owner('users').where({ id: english.id }).update({ locale: 'en' });
    const c = await signedIn(admin);
    assert.equal((await c.post(`/api/users/${english.id}/reset`)).status < 300, true);
    const en = await t.mail.waitFor((m) => m.to.includes(english.email));
    assert.equal(en.subject, 'Set a new Kontor password');
    assert.doesNotMatch(en.text, /Passwort/);
    assert.equal((await c.post(`/api/users/${undecided.id}/reset`)).status < 300, true);
    const german = await t.mail.waitFor((m) => m.to.includes(undecided.email));
    assert.equal(german.subject, 'Neues Kontor-Passwort festlegen');
    assert.doesNotMatch(german.text, /Set a new one/);
  });

  it('a recovery code goes out in German to a user who chose German', async () => {
    const u = await createTenantWithUser(t);
    await t.owner('users').where({ id: u.id }).update({ locale: 'de' });
    assert.equal((await new Client(t.url).post('/api/auth/recovery', { email: u.email })).status, 202);
    const mail = await t.mail.waitFor((m) => m.to.includes(u.email));
    assert.equal(mail.subject, 'Ihr Kontor-Wiederherstellungscode');
    assert.doesNotMatch(mail.text, /Your code/);
  });
});
