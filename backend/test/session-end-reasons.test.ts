import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inTenant } from '../src/db/tenant-transaction.js';
import { SESSION_END_MEMORY_MS } from '../src/auth/sessions.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { grantTo, roleId, vendorUser } from './helpers/tenancy.js';

/**
 * The session-end contract: a request on an ended session answers 401 session_expired with why it
 * ended, over real HTTP, for every way a session ends (and again on the next request: the note stays).
 */
let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

async function signIn(u: TestUser): Promise<Client> {
  const c = new Client(t.url);
  const res = await c.login(u.email, u.password);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return c;
}

/** A client holding the same session cookie (a second tab, or a cookie kept after sign-out). */
function copyOf(c: Client): Client {
  const other = new Client(t.url);
  other.cookie = c.session;
  return other;
}

async function assertEnded(c: Client, reason: string): Promise<void> {
  for (const attempt of ['first', 'second']) {
    const res = await copyOf(c).get('/api/auth/session');
    assert.equal(res.status, 401, `${attempt} request`);
    assert.equal(res.body.error.code, 'session_expired', `${attempt} request`);
    assert.equal(res.body.error.reason, reason, `${attempt} request`);
  }
}

async function bankWithAdmin(settings: Record<string, unknown> = {}): Promise<{ admin: Client; user: TestUser; userClient: Client }> {
  const adminUser = await createTenantWithUser(t, { roles: ['tenant_admin'], settings });
  const user = await addUser(t, adminUser.tenantId, { roles: ['analyst'] });
  return { admin: await signIn(adminUser), user, userClient: await signIn(user) };
}

describe('why a session ended', () => {
  it('idle: past the bank\'s idle limit, with the token still valid and with it expired', async () => {
    const short = await createTenantWithUser(t, { settings: { idle_minutes: 2 } });
    const a = await signIn(short);
    t.clock.advanceMinutes(3);
    await assertEnded(a, 'idle');
    const long = await createTenantWithUser(t, { settings: { idle_minutes: 30 } });
    const b = await signIn(long);
    t.clock.advanceMinutes(31);
    await assertEnded(b, 'idle');
  });

  it('absolute: past the absolute limit although active all along', async () => {
    const u = await createTenantWithUser(t, { settings: { idle_minutes: 120, absolute_hours: 1 } });
    const c = await signIn(u);
    for (let i = 0; i < 5; i++) {
      t.clock.advanceMinutes(10);
      assert.equal((await c.post('/api/auth/refresh')).status, 200);
    }
    t.clock.advanceMinutes(11);
    await assertEnded(c, 'absolute');
  });

  it('the purge of expired sessions notes idle and absolute too, and forgets its notes once no token can ask', async () => {
    const u = await createTenantWithUser(t, { settings: { idle_minutes: 2 } });
    const c = await signIn(u);
    t.clock.advanceMinutes(3);
    const { sessions } = await t.kontor.auth.purge([u.tenantId]);
    assert.equal(sessions, 1);
    await assertEnded(c, 'idle');
    const notes = () => inTenant(t.owner, u.tenantId, (trx) => trx('session_ends').where({ tenant_id: u.tenantId }).count({ n: '*' }));
    assert.equal(Number((await notes())[0]!.n), 1);
    t.clock.advanceMinutes(SESSION_END_MEMORY_MS / 60_000 + 1);
    await t.kontor.auth.purge([u.tenantId]);
    assert.equal(Number((await notes())[0]!.n), 0, 'the note is gone after its memory');
    assert.equal((await copyOf(c).get('/api/auth/session')).body.error.code, 'unauthenticated', 'the token is too old to ask');
  });

  it('signed_out: the cookie kept after sign-out, and a session the user ended from the list', async () => {
    const u = await createTenantWithUser(t);
    const c = await signIn(u);
    const kept = copyOf(c);
    assert.equal((await c.post('/api/auth/logout')).status, 204);
    await assertEnded(kept, 'signed_out');
    const other = await signIn(u);
    const mine = await signIn(u);
    const list = await mine.get('/api/auth/sessions');
    const otherId = (list.body as { id: string; current: boolean }[]).find((s) => !s.current && s.id)!.id;
    assert.equal((await mine.delete(`/api/auth/sessions/${otherId}`)).status, 204);
    await assertEnded(other, 'signed_out');
  });

  it('ended_by_admin: the admin ends a user\'s sessions, or resets the user\'s second factor', async () => {
    const { admin, user, userClient } = await bankWithAdmin();
    assert.equal((await admin.delete(`/api/users/${user.id}/sessions`)).status, 200);
    await assertEnded(userClient, 'ended_by_admin');
    const again = await signIn(user);
    await t.owner('user_totp').insert({ user_id: user.id, secret_enc: t.kontor.secondFactor.encrypt(t.kontor.secondFactor.newSecret()), confirmed_at: t.clock.now(), created_at: t.clock.now() });
    assert.equal((await admin.post(`/api/users/${user.id}/totp/reset`)).status, 204);
    await assertEnded(again, 'ended_by_admin');
  });

  it('password_changed: the user\'s other sessions end when the password changes', async () => {
    const u = await createTenantWithUser(t);
    const elsewhere = await signIn(u);
    const here = await signIn(u);
    const changed = await here.post('/api/auth/password', { currentPassword: u.password, newPassword: `${u.password}-Neu-7x!q` });
    assert.equal(changed.status, 204, JSON.stringify(changed.body));
    assert.equal((await here.get('/api/auth/session')).status, 200, 'the session that changed it stays');
    await assertEnded(elsewhere, 'password_changed');
  });

  it('rights_changed: the admin changes the user\'s roles', async () => {
    const { admin, user, userClient } = await bankWithAdmin();
    const res = await admin.request('PATCH', `/api/users/${user.id}`, { roleIds: [await roleId(t.owner, 'reader')] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await assertEnded(userClient, 'rights_changed');
  });

  it('account_disabled: locked or deleted by the admin, locked by failed attempts, or found locked by the guard', async () => {
    const { admin, user, userClient } = await bankWithAdmin();
    assert.equal((await admin.request('PATCH', `/api/users/${user.id}`, { locked: true })).status, 200);
    await assertEnded(userClient, 'account_disabled');

    const gone = await addUser(t, user.tenantId);
    const goneClient = await signIn(gone);
    assert.equal((await admin.delete(`/api/users/${gone.id}`)).status, 204);
    await assertEnded(goneClient, 'account_disabled');

    const guesser = await addUser(t, user.tenantId);
    const guesserClient = await signIn(guesser);
    for (let i = 0; i < 4; i++) await guesserClient.post('/api/auth/password', { currentPassword: 'wrong-Password-1!', newPassword: 'Another-Pass-9x!' });
    await assertEnded(guesserClient, 'account_disabled');

    const found = await addUser(t, user.tenantId);
    const foundClient = await signIn(found);
    await t.owner('users').where({ id: found.id }).update({ status: 'locked' });
    await assertEnded(foundClient, 'account_disabled');
  });

  it('access_ended: the vendor\'s grant is revoked, or the bank is deactivated', async () => {
    const bank = await createTenantWithUser(t);
    const admin = await signIn(await vendorUser(t, ['administration']));
    const support = await vendorUser(t, ['support']);
    await grantTo(t, support, bank.tenantId, ['reader']);
    const s = await signIn(support);
    assert.equal((await s.post('/api/auth/switch-tenant', { tenantId: bank.tenantId })).status, 200);
    assert.equal((await admin.delete(`/api/platform/users/${support.id}/grants/${bank.tenantId}`)).status, 204);
    await assertEnded(s, 'access_ended');

    const other = await createTenantWithUser(t);
    const o = await signIn(other);
    assert.equal((await admin.request('PATCH', `/api/platform/tenants/${other.tenantId}`, { active: false })).status, 200);
    await assertEnded(o, 'access_ended');
  });

  it('unknown: a session that went without a note', async () => {
    const u = await createTenantWithUser(t);
    const c = await signIn(u);
    await inTenant(t.owner, u.tenantId, (trx) => trx('sessions').where({ tenant_id: u.tenantId, user_id: u.id }).delete());
    await assertEnded(c, 'unknown');
  });
});
