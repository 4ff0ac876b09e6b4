import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';

let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

async function requestCode(u: TestUser): Promise<string> {
  const before = t.mail.mails.length;
  assert.equal((await new Client(t.url).post('/api/auth/recovery', { email: u.email })).status, 202);
  const mail = await t.mail.waitFor((m) => m.to.includes(u.email) && t.mail.mails.indexOf(m) >= before && /code/i.test(m.subject));
  const code = /(\d{8})/.exec(mail.text)?.[1];
  assert.ok(code, 'no 8-digit code in the mail');
  return code;
}

function confirm(email: string, code: string, newPassword = 'recovered passphrase 77') {
  return new Client(t.url).post('/api/auth/recovery/confirm', { email, code, newPassword });
}

describe('account recovery', () => {
  it('answers 202 alike for known and unknown emails, and mails only the known one', async () => {
    const u = await createTenantWithUser(t);
    const mailsBefore = t.mail.mails.length;
    const unknown = await new Client(t.url).post('/api/auth/recovery', { email: 'nobody-at-all@bank.example' });
    const known = await new Client(t.url).post('/api/auth/recovery', { email: u.email });
    assert.equal(unknown.status, 202);
    assert.deepEqual(unknown.body, known.body);
    await t.mail.waitFor((m) => m.to.includes(u.email));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(t.mail.mails.slice(mailsBefore).filter((m) => m.to.includes('nobody-at-all')).length, 0);
  });

  it('the mailed code unlocks a locked account and sets the new password, once', async () => {
    const u = await createTenantWithUser(t);
    for (let i = 0; i < 4; i++) await new Client(t.url).login(u.email, 'wrong-password-q');
    assert.equal((await t.owner('users').where({ id: u.id }).first('status')).status, 'locked');
    const code = await requestCode(u);
    assert.equal((await confirm(u.email, code)).status, 204);
    assert.equal((await new Client(t.url).login(u.email, 'recovered passphrase 77')).status, 200);
    const reuse = await confirm(u.email, code, 'another passphrase 88');
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error.code, 'invalid_code');
  });

  it('the code expires after 10 minutes', async () => {
    const u = await createTenantWithUser(t);
    const code = await requestCode(u);
    t.clock.advanceMinutes(11);
    assert.equal((await confirm(u.email, code)).status, 400);
  });

  it('allows 5 tries, then even the right code is refused', async () => {
    const u = await createTenantWithUser(t);
    const code = await requestCode(u);
    const wrong = code === '12345678' ? '87654321' : '12345678';
    for (let i = 0; i < 5; i++) assert.equal((await confirm(u.email, wrong)).status, 400);
    assert.equal((await confirm(u.email, code)).status, 400);
    assert.equal((await new Client(t.url).login(u.email, u.password)).status, 200, 'the old password is untouched');
  });

  it('a new request replaces the previous code', async () => {
    const u = await createTenantWithUser(t);
    const first = await requestCode(u);
    const second = await requestCode(u);
    if (first !== second) assert.equal((await confirm(u.email, first)).status, 400);
    assert.equal((await confirm(u.email, second)).status, 204);
  });

  it('a weak new password is refused without using up the code; sessions end on success', async () => {
    const u = await createTenantWithUser(t);
    const c = new Client(t.url);
    await c.login(u.email, u.password);
    const code = await requestCode(u);
    const weak = await confirm(u.email, code, 'password');
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error.code, 'weak_password');
    assert.equal((await confirm(u.email, code)).status, 204);
    assert.equal((await c.get('/api/auth/session')).status, 401);
  });

  it('rejects malformed codes with the field named', async () => {
    const res = await confirm('x@bank.example', '12ab');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.field, 'code');
  });
});

describe('invitation links', () => {
  it('set the first password once; the link is single use and stored only hashed', async () => {
    const u = await createTenantWithUser(t, { mustChangePassword: true });
    const link = await t.kontor.auth.issueInvitation(u.id, 'invitation', 'https://kontor.example');
    const mail = await t.mail.waitFor((m) => m.to.includes(u.email) && m.text.includes(link));
    assert.match(mail.subject, /Einladung/);
    const token = link.split('/').pop()!;
    const stored = await t.owner('invitation_tokens').where({ user_id: u.id }).first('token_hash');
    assert.notEqual(stored.token_hash, token);
    const accept = await new Client(t.url).post('/api/auth/invitation', { token, newPassword: 'invited passphrase 2026' });
    assert.equal(accept.status, 204);
    const login = await new Client(t.url).login(u.email, 'invited passphrase 2026');
    assert.equal(login.status, 200);
    assert.equal(login.body.mustChangePassword, false);
    const again = await new Client(t.url).post('/api/auth/invitation', { token, newPassword: 'second try passphrase' });
    assert.equal(again.status, 400);
    assert.equal(again.body.error.code, 'invalid_token');
  });

  it('can be checked before the form: a good link names the person and the bank\'s rules; a used, expired or malformed one says so', async () => {
    const u = await createTenantWithUser(t, { mustChangePassword: true });
    const token = (await t.kontor.auth.issueInvitation(u.id, 'invitation', 'https://kontor.example')).split('/').pop()!;
    const check = (body: unknown) => new Client(t.url).post('/api/auth/invitation/check', body);
    const good = await check({ token });
    assert.equal(good.status, 200);
    assert.equal(good.body.email, u.email);
    assert.equal(typeof good.body.tenantName, 'string');
    assert.equal(good.body.passwordPolicy.minLength, 12);
    assert.equal(good.body.passwordPolicy.maxLength > good.body.passwordPolicy.minLength, true);
    // Checking does not use the link up.
    assert.equal((await check({ token })).status, 200);
    assert.equal((await new Client(t.url).post('/api/auth/invitation', { token, newPassword: 'invited passphrase 2026' })).status, 204);
    const used = await check({ token });
    assert.equal(used.status, 400);
    assert.equal(used.body.error.code, 'invalid_token');
    for (const malformed of [{ token: 'abc' }, { token: 'not/a/token/from/kontor/at/all' }, {}, { token: 'x'.repeat(201) }]) {
      const res = await check(malformed);
      assert.equal(res.status, 400, JSON.stringify(malformed));
      assert.equal(res.body.error.field, 'token');
    }
    const unknown = await check({ token: 'x'.repeat(43) });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, 'invalid_token');
    const other = await createTenantWithUser(t);
    const late = (await t.kontor.auth.issueInvitation(other.id, 'reset', 'https://kontor.example')).split('/').pop()!;
    t.clock.advanceMinutes(24 * 60 + 1);
    assert.equal((await check({ token: late })).body.error.code, 'invalid_token');
  });

  it('expire after 24 hours', async () => {
    const u = await createTenantWithUser(t);
    const token = (await t.kontor.auth.issueInvitation(u.id, 'reset', 'https://kontor.example')).split('/').pop()!;
    t.clock.advanceMinutes(24 * 60 + 1);
    assert.equal((await new Client(t.url).post('/api/auth/invitation', { token, newPassword: 'too late passphrase' })).status, 400);
  });
});
