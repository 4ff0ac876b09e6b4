import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';

const secret = randomBytes(32).toString('hex');
let t: TestKontor;
before(async () => {
  t = await startTestKontor({ sessionSecret: secret });
});
after(async () => t.close());

async function signedIn(options: Parameters<typeof createTenantWithUser>[1] = {}): Promise<{ c: Client; u: TestUser }> {
  const u = await createTenantWithUser(t, options);
  const c = new Client(t.url);
  const res = await c.login(u.email, u.password);
  assert.equal(res.status, 200);
  return { c, u };
}

function withToken(token: string): Client {
  const c = new Client(t.url);
  c.cookie = `kontor_session=${token}`;
  return c;
}

function claimsOf(token: string): Record<string, unknown> {
  return jwt.decode(token) as Record<string, unknown>;
}

describe('session tokens', () => {
  it('rejects a request without a token', async () => {
    const res = await new Client(t.url).get('/api/auth/session');
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'unauthenticated');
  });

  it('rejects a tampered token', async () => {
    const { c } = await signedIn();
    const [h, p, s] = c.token!.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.sub = '00000000-0000-4000-8000-000000000000';
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    assert.equal((await withToken(forged).get('/api/auth/session')).status, 401);
  });

  it("rejects alg 'none', a wrong audience, a wrong issuer, a foreign secret and an expired token", async () => {
    const { c } = await signedIn();
    const claims = claimsOf(c.token!);
    const base = { sid: claims.sid, sub: claims.sub, tid: claims.tid };
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims })).toString('base64url')}.`;
    const variants = {
      none,
      wrongAud: jwt.sign(base, secret, { algorithm: 'HS256', issuer: 'kontor', audience: 'someone-else', expiresIn: 600 }),
      wrongIss: jwt.sign(base, secret, { algorithm: 'HS256', issuer: 'other', audience: 'kontor-api', expiresIn: 600 }),
      foreignSecret: jwt.sign(base, 'x'.repeat(64), { algorithm: 'HS256', issuer: 'kontor', audience: 'kontor-api', expiresIn: 600 }),
      hs512: jwt.sign(base, secret, { algorithm: 'HS512', issuer: 'kontor', audience: 'kontor-api', expiresIn: 600 }),
      expired: jwt.sign({ ...base, iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) - 60 }, secret, { algorithm: 'HS256', issuer: 'kontor', audience: 'kontor-api' }),
      correct: jwt.sign(base, secret, { algorithm: 'HS256', issuer: 'kontor', audience: 'kontor-api', expiresIn: 600 }),
    };
    for (const [name, token] of Object.entries(variants)) {
      const res = await withToken(token).get('/api/auth/session');
      assert.equal(res.status, name === 'correct' ? 200 : 401, name);
    }
  });

  it('expires the JWT after 15 minutes even with an active session row', async () => {
    const { c } = await signedIn();
    t.clock.advanceMinutes(16);
    assert.equal((await c.get('/api/auth/session')).status, 401);
  });

  it('renews an expired token while the session row is within its idle limit, and only by refresh', async () => {
    const { c } = await signedIn({ settings: { idle_minutes: 30 } });
    t.clock.advanceMinutes(20);
    assert.equal((await c.get('/api/auth/session')).status, 401, 'an expired token must not work on other routes');
    const { c: c2 } = await signedIn({ settings: { idle_minutes: 30 } });
    t.clock.advanceMinutes(20);
    assert.equal((await c2.post('/api/auth/refresh')).status, 200);
    assert.equal((await c2.get('/api/auth/session')).status, 200);
    const { c: c3 } = await signedIn({ settings: { idle_minutes: 30 } });
    t.clock.advanceMinutes(31);
    assert.equal((await c3.post('/api/auth/refresh')).status, 401, 'past the idle limit renewal must fail');
  });

  it("rejects a validly signed token whose tid was changed to another tenant", async () => {
    const { c } = await signedIn();
    const other = await createTenantWithUser(t);
    const claims = claimsOf(c.token!);
    const moved = jwt.sign({ sid: claims.sid, sub: claims.sub, tid: other.tenantId }, secret, { algorithm: 'HS256', issuer: 'kontor', audience: 'kontor-api', expiresIn: 600 });
    assert.equal((await withToken(moved).get('/api/auth/session')).status, 401);
    assert.equal((await c.get('/api/auth/session')).status, 200, 'the real token still works');
  });

  it('refuses a validly signed token that lacks any required claim (exp, iat, iss, aud, sid, sub, tid)', async () => {
    const { c } = await signedIn();
    const claims = claimsOf(c.token!);
    const now = Math.floor(t.clock.now().getTime() / 1000);
    const full: Record<string, unknown> = { sid: claims.sid, sub: claims.sub, tid: claims.tid, iss: 'kontor', aud: 'kontor-api', iat: now, exp: now + 600 };
    // jsonwebtoken adds an iat of its own unless told not to, and then drops a given one too.
    const sign = (payload: Record<string, unknown>) => jwt.sign(payload, secret, { algorithm: 'HS256', noTimestamp: !('iat' in payload) });
    assert.equal((await withToken(sign(full)).get('/api/auth/session')).status, 200, 'all claims present');
    const accepted: string[] = [];
    for (const claim of Object.keys(full)) {
      const { [claim]: _dropped, ...rest } = full;
      if ((await withToken(sign(rest)).get('/api/auth/session')).status !== 401) accepted.push(claim);
    }
    assert.deepEqual(accepted, [], 'tokens accepted although this claim was missing');
  });
});

describe('ending sessions', () => {
  it('logout deletes the session: the old token is dead', async () => {
    const { c } = await signedIn();
    const token = c.token!;
    assert.equal((await c.post('/api/auth/logout')).status, 204);
    assert.equal(c.cookie, undefined, 'cookie cleared');
    assert.equal((await withToken(token).get('/api/auth/session')).status, 401);
  });

  it('refresh issues a new sid and kills the old token', async () => {
    const { c } = await signedIn();
    const old = c.token!;
    const res = await c.post('/api/auth/refresh');
    assert.equal(res.status, 200);
    assert.notEqual(claimsOf(c.token!).sid, claimsOf(old).sid);
    assert.equal((await withToken(old).get('/api/auth/session')).status, 401);
    assert.equal((await c.get('/api/auth/session')).status, 200);
  });

  it('a password change ends every other session but keeps the current one', async () => {
    const { c, u } = await signedIn();
    const other = new Client(t.url);
    await other.login(u.email, u.password);
    const res = await c.post('/api/auth/password', { currentPassword: u.password, newPassword: 'a fresh long passphrase 42' });
    assert.equal(res.status, 204);
    assert.equal((await other.get('/api/auth/session')).status, 401);
    assert.equal((await c.get('/api/auth/session')).status, 200);
    assert.equal((await new Client(t.url).login(u.email, u.password)).status, 401, 'old password still works');
    assert.equal((await new Client(t.url).login(u.email, 'a fresh long passphrase 42')).status, 200);
  });

  it('disabling or deleting a user kills their token on the next request', async () => {
    for (const status of ['locked', 'deleted']) {
      const { c, u } = await signedIn();
      await t.owner('users').where({ id: u.id }).update({ status });
      assert.equal((await c.get('/api/auth/session')).status, 401, status);
    }
  });

  it('users list their own sessions and end one of them, but never a stranger’s', async () => {
    const { c, u } = await signedIn();
    const second = new Client(t.url);
    await second.login(u.email, u.password);
    const list = await c.get('/api/auth/sessions');
    assert.equal(list.status, 200);
    assert.equal(list.body.length, 2);
    assert.equal(list.body.filter((s: { current: boolean }) => s.current).length, 1);
    const target = list.body.find((s: { current: boolean }) => !s.current);
    assert.equal((await c.delete(`/api/auth/sessions/${target.id}`)).status, 204);
    assert.equal((await second.get('/api/auth/session')).status, 401);

    const stranger = await signedIn();
    const theirs = (await stranger.c.get('/api/auth/sessions')).body[0].id as string;
    assert.equal((await c.delete(`/api/auth/sessions/${theirs}`)).status, 404);
    assert.equal((await stranger.c.get('/api/auth/session')).status, 200);
    assert.equal((await c.delete('/api/auth/sessions/not-a-uuid')).status, 400);
  });
});

describe('idle and absolute limits (injected clock)', () => {
  it('ends a session idle longer than the tenant limit', async () => {
    const { c } = await signedIn({ settings: { idle_minutes: 10 } });
    t.clock.advanceMinutes(9);
    assert.equal((await c.post('/api/auth/refresh')).status, 200);
    t.clock.advanceMinutes(9);
    assert.equal((await c.post('/api/auth/refresh')).status, 200, 'activity at minute 9 should have extended it');
    // The token is now 11 minutes old (still valid): only the idle limit can refuse it.
    t.clock.advanceMinutes(11);
    const res = await c.get('/api/auth/session');
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'session_expired');
  });

  it('background polling does not extend the idle time', async () => {
    const { c } = await signedIn({ settings: { idle_minutes: 10 } });
    for (let i = 0; i < 3; i++) {
      t.clock.advanceMinutes(4);
      assert.equal((await c.get('/api/auth/session', { 'x-kontor-background': '1' })).status, i < 2 ? 200 : 401);
    }
  });

  it('never extends past the absolute limit, even with renewals', async () => {
    const { c } = await signedIn({ settings: { absolute_hours: 1, idle_minutes: 30 } });
    for (let i = 0; i < 5; i++) {
      t.clock.advanceMinutes(11);
      assert.equal((await c.post('/api/auth/refresh')).status, 200, `refresh ${i}`);
    }
    t.clock.advanceMinutes(6);
    assert.equal((await c.get('/api/auth/session')).status, 401);
  });
});

describe('forced password change', () => {
  it('answers 403 password_change_required everywhere but session, password and logout until changed', async () => {
    const { c, u } = await signedIn({ mustChangePassword: true });
    const info = await c.get('/api/auth/session');
    assert.equal(info.status, 200);
    assert.equal(info.body.mustChangePassword, true);
    for (const res of [await c.get('/api/auth/sessions'), await c.post('/api/auth/refresh')]) {
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'password_change_required');
    }
    const weak = await c.post('/api/auth/password', { currentPassword: u.password, newPassword: 'password1234' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error.code, 'weak_password');
    assert.equal(weak.body.error.reason, 'common');
    const same = await c.post('/api/auth/password', { currentPassword: u.password, newPassword: u.password });
    assert.equal(same.status, 400, 'a password that is not new');
    assert.equal(same.body.error.reason, 'not_new');
    const wrongCurrent = await c.post('/api/auth/password', { currentPassword: 'not-it-at-all', newPassword: 'a good new passphrase' });
    assert.equal(wrongCurrent.status, 400);
    assert.equal(wrongCurrent.body.error.code, 'invalid_current_password');
    assert.equal((await c.post('/api/auth/password', { currentPassword: u.password, newPassword: 'a good new passphrase' })).status, 204);
    assert.equal((await c.get('/api/auth/sessions')).status, 200);
  });

  it('refuses passwords by the tenant policy, naming the rule', async () => {
    const { c, u } = await signedIn({ tenantName: `Kreissparkasse ${randomBytes(3).toString('hex')}` });
    const tenantName = (await c.get('/api/auth/session')).body.tenant.name as string;
    const local = u.email.split('@')[0]!;
    for (const [pw, phrase] of [
      ['short', /at least 12/],
      ['qwerty123456', /commonly used/],
      [`${local}-and-more`, /email/],
      [`${tenantName} rocks!`, /bank's name/],
    ] as const) {
      const res = await c.post('/api/auth/password', { currentPassword: u.password, newPassword: pw });
      assert.equal(res.status, 400, pw);
      assert.equal(res.body.error.code, 'weak_password');
      assert.match(res.body.error.message, phrase);
    }
  });

  it('the classic bank profile asks for digit, lower and upper case letters', async () => {
    const { c, u } = await signedIn({ settings: { password_profile: 'classic' } });
    const res = await c.post('/api/auth/password', { currentPassword: u.password, newPassword: 'alllowercase1' });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /upper-case/);
    assert.equal((await c.post('/api/auth/password', { currentPassword: u.password, newPassword: 'Kurz8abc' })).status, 204);
  });
});
