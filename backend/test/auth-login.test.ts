import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';

let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

async function status(userId: string): Promise<{ status: string; failed_login_count: number }> {
  return t.owner('users').where({ id: userId }).first('status', 'failed_login_count');
}

describe('login', () => {
  it('succeeds with the right password and answers the contract shape with an HttpOnly SameSite=Strict cookie', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const c = new Client(t.url);
    const res = await c.login(u.email, u.password);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ['mfa', 'modules', 'mustChangePassword', 'passwordPolicy', 'permissions', 'previousLogin', 'session', 'tenant', 'tenants', 'user']);
    assert.equal(res.body.user.email, u.email);
    assert.equal(res.body.tenant.id, u.tenantId);
    assert.ok(res.body.permissions.includes('containers:write'));
    assert.equal(res.body.previousLogin, null);
    const cookie = res.headers.getSetCookie()[0]!;
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Strict/i);
    assert.doesNotMatch(cookie, /Secure/, 'plain HTTP on loopback: Secure would drop the cookie');
    assert.equal((await c.get('/api/auth/session')).status, 200);
  });

  it('accepts an address without a public TLD, such as the first superadmin\'s default admin@localhost', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const local = `${u.email.split('@')[0]}@localhost`;
    await t.owner('users').where({ id: u.id }).update({ email: local });
    const res = await new Client(t.url).login(local, u.password);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  it('is case-insensitive in the email', async () => {
    const u = await createTenantWithUser(t);
    assert.equal((await new Client(t.url).login(u.email.toUpperCase(), u.password)).status, 200);
  });

  it('answers one generic 401 for unknown email, wrong password, locked and deleted accounts', async () => {
    const u = await createTenantWithUser(t);
    const locked = await createTenantWithUser(t);
    await t.owner('users').where({ id: locked.id }).update({ status: 'locked' });
    const deleted = await createTenantWithUser(t);
    await t.owner('users').where({ id: deleted.id }).update({ status: 'deleted' });
    const answers = [
      await new Client(t.url).login('nobody-here@bank.example', 'whatever-password'),
      await new Client(t.url).login(u.email, 'wrong-password-123'),
      await new Client(t.url).login(locked.email, locked.password),
      await new Client(t.url).login(deleted.email, deleted.password),
    ];
    for (const a of answers) assert.equal(a.status, 401);
    const bodies = answers.map((a) => JSON.stringify(a.body));
    assert.equal(new Set(bodies).size, 1, bodies.join('\n'));
    assert.equal(answers[0]!.body.error.code, 'invalid_credentials');
  });

  it('locks at the 4th consecutive failure, stays locked with the right password, and mails the user', async () => {
    const u = await createTenantWithUser(t);
    for (let i = 1; i <= 3; i++) {
      assert.equal((await new Client(t.url).login(u.email, `wrong-${i}-password`)).status, 401);
      assert.equal((await status(u.id)).status, 'active', `locked too early at ${i}`);
    }
    assert.equal((await new Client(t.url).login(u.email, 'wrong-4-password')).status, 401);
    assert.equal((await status(u.id)).status, 'locked');
    assert.equal((await new Client(t.url).login(u.email, u.password)).status, 401);
    const mail = await t.mail.waitFor((m) => m.to.includes(u.email));
    assert.match(mail.text, /Passwort vergessen/);
    assert.doesNotMatch(mail.text, /Forgot password/, 'one language: German while the user never chose (MAIL_LOCALE)');
  });

  it('a success resets the counter; a token refresh does not', async () => {
    const u = await createTenantWithUser(t);
    const c = new Client(t.url);
    assert.equal((await c.login(u.email, u.password)).status, 200);
    for (let i = 0; i < 3; i++) await new Client(t.url).login(u.email, 'wrong-password-x');
    assert.equal((await status(u.id)).failed_login_count, 3);
    assert.equal((await c.post('/api/auth/refresh')).status, 200);
    assert.equal((await status(u.id)).failed_login_count, 3, 'refresh reset the counter');
    await new Client(t.url).login(u.email, 'wrong-password-y');
    assert.equal((await status(u.id)).status, 'locked');

    const v = await createTenantWithUser(t);
    for (let i = 0; i < 3; i++) await new Client(t.url).login(v.email, 'wrong-password-z');
    assert.equal((await new Client(t.url).login(v.email, v.password)).status, 200);
    assert.equal((await status(v.id)).failed_login_count, 0);
  });

  it('reports the previous successful login and the failures since', async () => {
    const u = await createTenantWithUser(t);
    await new Client(t.url).login(u.email, u.password);
    await new Client(t.url).login(u.email, 'wrong-password-1');
    await new Client(t.url).login(u.email, 'wrong-password-2');
    t.clock.advanceMinutes(1);
    const res = await new Client(t.url).login(u.email, u.password);
    assert.equal(res.status, 200);
    assert.equal(res.body.previousLogin.failuresSince, 2);
    assert.equal(res.body.previousLogin.ip, '127.0.0.1');
    assert.ok(Date.parse(res.body.previousLogin.at) < Date.parse(t.clock.now().toISOString()));
  });

  it('records every attempt in login_events, with a keyed hash instead of an unknown email', async () => {
    const email = `unknown-${Date.now()}@bank.example`;
    await new Client(t.url).login(email, 'some-password-1');
    const row = await t.owner('login_events').where({ email_hash: t.kontor.auth.emailHash(email) }).first();
    assert.ok(row, 'no login event for the unknown email');
    assert.equal(row.reason, 'unknown_email');
    assert.equal(row.user_id, null);
    const raw = await t.owner.raw('select count(*)::int as n from login_events where email_hash = ? or reason = ?', [email, email]);
    assert.equal(raw.rows[0].n, 0);
  });

  it('never writes an unknown email or any password to the log', async () => {
    const email = `never-logged-${Date.now()}@bank.example`;
    await new Client(t.url).login(email, 'Password-never-logged');
    await new Client(t.url).post('/api/auth/recovery', { email });
    const log = t.logLines.join('');
    assert.ok(log.includes('login refused'), 'the refusal itself should be logged');
    assert.ok(!log.includes(email));
    assert.ok(!log.includes('Password-never-logged'));
  });

  it('refuses a cross-origin POST (and one without Origin or the CSRF header)', async () => {
    const u = await createTenantWithUser(t);
    const evil = await fetch(`${t.url}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ email: u.email, password: u.password }),
    });
    assert.equal(evil.status, 403);
    assert.equal(((await evil.json()) as { error: { code: string } }).error.code, 'cross_origin');
    const bare = await fetch(`${t.url}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: u.email, password: u.password }),
    });
    assert.equal(bare.status, 403);
    const header = await fetch(`${t.url}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-requested-with': 'kontor' },
      body: JSON.stringify({ email: u.email, password: u.password }),
    });
    assert.equal(header.status, 200);
  });

  it('rejects an over-long password with 400 before hashing', async () => {
    const res = await new Client(t.url).login('a@bank.example', 'x'.repeat(129));
    assert.equal(res.status, 400);
    assert.equal(res.body.error.field, 'password');
  });
});

describe('login throttling', () => {
  it('answers 429 with Retry-After past the per-address limit', async () => {
    const limited = await startTestKontor({ throttles: { login: { limit: 3, windowSeconds: 6 }, recovery: { limit: 2, windowSeconds: 60 } } });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await new Client(limited.url).login('x@bank.example', 'wrong-password')).status, 401);
      const res = await new Client(limited.url).login('x@bank.example', 'wrong-password');
      assert.equal(res.status, 429);
      assert.ok(Number(res.headers.get('retry-after')) > 0);
      for (let i = 0; i < 2; i++) assert.equal((await new Client(limited.url).post('/api/auth/recovery', { email: 'x@bank.example' })).status, 202);
      assert.equal((await new Client(limited.url).post('/api/auth/recovery', { email: 'x@bank.example' })).status, 429);
      // The window is counted in real time by the shared store: wait until it has passed.
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after')) * 1000 + 100));
      assert.equal((await new Client(limited.url).login('x@bank.example', 'wrong-password')).status, 401);
    } finally {
      await limited.close();
    }
  });
});
