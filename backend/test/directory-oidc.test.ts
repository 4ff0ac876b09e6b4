import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { inTenant } from '../src/db/tenant-transaction.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { runFlow, startProvider, type TestProvider } from './helpers/oidc.js';
import { roleId, vendorUser } from './helpers/tenancy.js';

/**
 * OpenID Connect sign-in against a real provider (oidc-provider in its own process, throw-away
 * key): the full code flow with PKCE, and every refusal the callback owes — state, nonce,
 * audience, expiry, signature, unknown users, and the just-in-time rules.
 */
let t: TestKontor;
let op: TestProvider;
const secret = randomBytes(16).toString('hex');
let admin: TestUser;
let adminClient: Client;
let domain: string;

async function configure(body: Record<string, unknown>) {
  // A fresh sign-in each time: tests move the clock past the idle limit.
  adminClient = new Client(t.url);
  assert.equal((await adminClient.login(admin.email, admin.password)).status, 200);
  return adminClient.request('PUT', '/api/directory', {
    method: 'oidc', issuer: op.issuer, clientId: 'kontor-test', clientSecret: secret, emailDomains: [domain], groupsClaim: 'groups', ...body,
  });
}

async function lastEvent(userId: string | null, tenantId: string) {
  const q = t.owner('login_events').where({ tenant_id: tenantId }).orderBy('id', 'desc');
  if (userId) q.where({ user_id: userId });
  return q.first('outcome', 'reason', 'user_id');
}

before(async () => {
  t = await startTestKontor({ allowHttpIssuer: true });
  t.kontor.directory.setPublicUrl(t.url);
  op = await startProvider([{ client_id: 'kontor-test', client_secret: secret, redirect_uris: [`${t.url}/api/auth/oidc/callback`] }]);
  admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
  domain = `bank-${randomBytes(3).toString('hex')}.example`;
  const res = await configure({});
  assert.equal(res.status, 200, JSON.stringify(res.body));
});
after(async () => {
  await op?.stop();
  await t?.close();
});

async function bankUser(roles = ['analyst']): Promise<TestUser & { sub: string }> {
  const u = await addUser(t, admin.tenantId, { roles });
  const email = `${u.email.split('@')[0]}@${domain}`;
  await t.owner('users').where({ id: u.id }).update({ email });
  const sub = `sub-${randomBytes(4).toString('hex')}`;
  await op.account(sub, { email, email_verified: true, name: 'Directory Person', groups: [] });
  await op.next(sub);
  return { ...u, email, sub };
}

describe('OpenID Connect sign-in', () => {
  it('configuration: the secret is stored encrypted and never shown; the sign-in page finds the bank by domain', async () => {
    const view = await adminClient.get('/api/directory');
    assert.equal(view.body.directory.oidc.clientSecretSet, true);
    assert.ok(!JSON.stringify(view.body).includes(secret));
    assert.equal(view.body.directory.redirectUri, `${t.url}/api/auth/oidc/callback`);
    const row = await t.owner('tenant_directories').where({ tenant_id: admin.tenantId }).first('oidc_client_secret_enc');
    assert.ok(row.oidc_client_secret_enc && !row.oidc_client_secret_enc.includes(secret));
    const lookup = await new Client(t.url).get(`/api/auth/directory?email=${encodeURIComponent(`x@${domain}`)}`);
    assert.equal(lookup.body.directory.tenantId, admin.tenantId);
    assert.equal(lookup.body.directory.method, 'oidc');
    assert.equal((await new Client(t.url).get('/api/auth/directory?email=x@elsewhere.example')).body.directory, null);
  });

  it('full code flow: an invited user is matched by email, linked to the subject, and gets the usual DB session', async () => {
    const u = await bankUser();
    const { landing, client } = await runFlow(t.url, admin.tenantId);
    assert.equal(landing, '/');
    const session = await client.get('/api/auth/session');
    assert.equal(session.status, 200);
    assert.equal(session.body.user.id, u.id);
    assert.equal(session.body.tenant.id, admin.tenantId);
    assert.equal((await client.get('/api/containers')).status, 200);
    const row = await inTenant(t.owner, admin.tenantId, (trx) => trx('sessions').where({ user_id: u.id }).first('absolute_expires_at'));
    assert.ok(row, 'a session row exists');
    assert.deepEqual(await lastEvent(u.id, admin.tenantId), { outcome: 'success', reason: 'ok_oidc', user_id: u.id });
    const link = await t.owner('user_directory_links').where({ user_id: u.id }).first('subject', 'method');
    assert.deepEqual(link, { subject: u.sub, method: 'oidc' });
    // The same session rules: idle limit ends it.
    t.clock.advanceMinutes(31);
    assert.equal((await client.get('/api/auth/session')).status, 401);
  });

  it('a state that does not belong to this browser is refused (login CSRF)', async () => {
    const u = await bankUser();
    const other = await runFlow(t.url, admin.tenantId, { rewriteCallback: (cb) => cb });
    assert.equal(other.landing, '/');
    // The provider's answer for this browser, with another start's state cookie.
    const replay = await runFlow(t.url, admin.tenantId, { stateCookie: other.stateCookie });
    assert.equal(replay.landing, '/login?directoryError=oidc_rejected');
    assert.equal(replay.client.session, undefined);
    // A tampered state parameter.
    const tampered = await runFlow(t.url, admin.tenantId, { rewriteCallback: (cb) => { cb.searchParams.set('state', 'forged'); return cb; } });
    assert.equal(tampered.landing, '/login?directoryError=oidc_rejected');
    // No state cookie at all.
    const none = await runFlow(t.url, admin.tenantId, { stateCookie: 'x' });
    assert.equal(none.landing, '/login?directoryError=oidc_state_missing');
    assert.equal((await lastEvent(null, admin.tenantId))?.outcome, 'failure');
    void u;
  });

  for (const [mode, label] of [
    ['wrong_nonce', 'an ID token with another nonce'],
    ['wrong_aud', 'an ID token for another client (audience)'],
    ['expired', 'an expired ID token'],
    ['wrong_issuer', 'an ID token from another issuer'],
    ['foreign_signature', 'an ID token signed with a key not in the provider\'s JWKS'],
  ] as const) {
    it(`${label} is refused and opens no session`, async () => {
      const u = await bankUser();
      await op.mode(mode);
      try {
        const { landing, client } = await runFlow(t.url, admin.tenantId);
        assert.equal(landing, '/login?directoryError=oidc_rejected');
        assert.equal(client.session, undefined);
        assert.deepEqual(await lastEvent(null, admin.tenantId), { outcome: 'failure', reason: 'oidc_rejected', user_id: null });
        assert.equal(await t.owner('user_directory_links').where({ user_id: u.id }).first(), undefined);
      } finally {
        await op.mode('normal');
      }
    });
  }

  it('an unknown user is refused while just-in-time creation is off', async () => {
    const sub = `sub-${randomBytes(4).toString('hex')}`;
    const email = `stranger-${randomBytes(3).toString('hex')}@${domain}`;
    await op.account(sub, { email, email_verified: true, name: 'Stranger', groups: ['analysts'] });
    await op.next(sub);
    const { landing, client } = await runFlow(t.url, admin.tenantId);
    assert.equal(landing, '/login?directoryError=unknown_user');
    assert.equal(client.session, undefined);
    assert.equal(await t.owner('users').whereRaw('lower(email) = lower(?)', [email]).first('id'), undefined);
  });

  it('an unverified email does not match an account', async () => {
    const u = await bankUser();
    await op.account(u.sub, { email: u.email, email_verified: false, groups: [] });
    const { landing } = await runFlow(t.url, admin.tenantId);
    assert.equal(landing, '/login?directoryError=unknown_user');
  });

  it('just-in-time: created with roles from the group mapping only; no mapped group, no account; vendor roles cannot be mapped', async () => {
    const analyst = await roleId(t.owner, 'analyst');
    const superadmin = await roleId(t.owner, 'superadmin');
    const refused = await configure({ jit: true, groupRoles: { admins: [superadmin] } });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'role_not_assignable');
    assert.equal((await configure({ jit: true, groupRoles: { analysts: [analyst] } })).status, 200);
    try {
      const sub = `sub-${randomBytes(4).toString('hex')}`;
      const email = `new-${randomBytes(3).toString('hex')}@${domain}`;
      await op.account(sub, { email, email_verified: true, name: 'New Analyst', groups: ['analysts', 'unmapped'] });
      await op.next(sub);
      const { landing, client } = await runFlow(t.url, admin.tenantId);
      assert.equal(landing, '/');
      const session = await client.get('/api/auth/session');
      assert.equal(session.body.user.email, email);
      assert.ok(session.body.permissions.includes('containers:write'));
      assert.ok(!session.body.permissions.some((p: string) => p.startsWith('users:') || p.startsWith('platform.')));
      const created = await t.owner('users').where({ email }).first('tenant_id');
      assert.equal(created.tenant_id, admin.tenantId);
      assert.equal(await t.owner('password_credentials').where({ user_id: session.body.user.id }).first(), undefined, 'no password');

      const sub2 = `sub-${randomBytes(4).toString('hex')}`;
      await op.account(sub2, { email: `nogroup-${randomBytes(3).toString('hex')}@${domain}`, email_verified: true, groups: ['unmapped'] });
      await op.next(sub2);
      assert.equal((await runFlow(t.url, admin.tenantId)).landing, '/login?directoryError=no_mapped_group');
    } finally {
      assert.equal((await configure({ jit: false, groupRoles: {} })).status, 200);
    }
  });

  it('a bank requiring its directory refuses password sign-in of its users; vendor staff keep their password', async () => {
    const u = await bankUser();
    assert.equal((await new Client(t.url).login(u.email, u.password)).status, 200);
    assert.equal((await configure({ required: true })).status, 200);
    try {
      const res = await new Client(t.url).login(u.email, u.password);
      assert.equal(res.status, 401);
      assert.deepEqual(await lastEvent(u.id, admin.tenantId), { outcome: 'failure', reason: 'directory_required', user_id: u.id });
      assert.equal((await runFlow(t.url, admin.tenantId)).landing, '/');
      const vendor = await vendorUser(t, ['support']);
      assert.equal((await new Client(t.url).login(vendor.email, vendor.password)).status, 200);
    } finally {
      // The bank's admin, a bank user too, could now only sign in through the directory.
      await t.owner('tenant_directories').where({ tenant_id: admin.tenantId }).update({ required: false });
    }
  });

  it('a locked Kontor account is not opened by the directory', async () => {
    const u = await bankUser();
    await t.owner('users').where({ id: u.id }).update({ status: 'locked' });
    const { landing, client } = await runFlow(t.url, admin.tenantId);
    assert.equal(landing, '/login?directoryError=invalid_credentials');
    assert.equal(client.session, undefined);
  });

  it('a user disabled at the provider cannot start a session', async () => {
    await op.next(undefined);
    const { landing } = await runFlow(t.url, admin.tenantId);
    assert.equal(landing, '/login?directoryError=oidc_rejected');
  });
});
