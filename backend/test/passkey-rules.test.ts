import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { enrolFactor } from './helpers/factors.js';
import { addPasskey, authenticate, device, launchChromium, webauthnCookie, type Device } from './helpers/passkey-device.js';
import { vendorUser } from './helpers/tenancy.js';

/**
 * The rules around passkeys (issue 21): a bank or the platform can require a phishing-resistant
 * factor; a passkey is the second step after the password; a bank that requires its directory is
 * not bypassed with a passkey. A real authenticator (Chromium's virtual one) signs every assertion.
 */
let t: TestKontor;
let browser: Browser;
let origin: string;

before(async () => {
  t = await startTestKontor();
  origin = t.url.replace('127.0.0.1', 'localhost');
  t.kontor.passkeys.setPublicUrl(origin);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await t?.close();
});

/** Password (and TOTP where enrolled, as Client.login does). */
async function signedIn(u: TestUser, k = t): Promise<Client> {
  const c = new Client(k.url);
  const res = await c.login(u.email, u.password);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return c;
}

async function passwordless(d: Device, k = t): Promise<{ status: number; body: any; client: Client }> {
  const c = new Client(k.url);
  const options = await c.post('/api/auth/login/passkey/options');
  const response = await authenticate(d, options.body);
  const res = await c.request('POST', '/api/auth/login/passkey', { response }, { cookie: webauthnCookie(options) });
  return { ...res, client: c };
}

/** Password, then the passkey as the second step. */
async function passwordThenPasskey(u: TestUser, d: Device): Promise<{ status: number; body: any; client: Client }> {
  const c = new Client(t.url);
  const first = await c.post('/api/auth/login', { email: u.email, password: u.password });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.secondFactorRequired, true, 'a passkey is a second factor: the password alone opens no session');
  assert.equal(c.session, undefined);
  const options = await c.post('/api/auth/login/second-factor/passkey/options');
  assert.equal(options.status, 200, JSON.stringify(options.body));
  const response = await authenticate(d, options.body);
  const res = await c.request('POST', '/api/auth/login/second-factor/passkey', { response }, { cookie: `${c.cookie}; ${webauthnCookie(options)}` });
  return { ...res, client: c };
}

const lastReason = async (userId: string) => (await t.owner('login_events').where({ user_id: userId }).orderBy('id', 'desc').first('reason'))?.reason;

describe('passkey rules', () => {
  it('passkey as the second step after the password (instead of TOTP); only the user\'s own passkey, a refusal counts toward the lock', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const other = await addUser(t, u.tenantId, { roles: ['analyst'] });
    const d = await device(browser, origin);
    const foreign = await device(browser, origin);
    try {
      assert.equal((await addPasskey(await signedIn(u), d)).status, 201);
      assert.equal((await addPasskey(await signedIn(other), foreign)).status, 201);
      const ok = await passwordThenPasskey(u, d);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.user.id, u.id);
      assert.equal(ok.body.mfa.verified, true);
      assert.equal(ok.body.mfa.phishingResistant, true);
      assert.equal(await lastReason(u.id), 'ok_passkey_second_step');
      assert.equal((await ok.client.get('/api/containers')).status, 200);

      // Another person's passkey does not finish this user's sign-in, and counts as a failure.
      const before = Number((await t.owner('users').where({ id: u.id }).first('failed_login_count')).failed_login_count);
      const c = new Client(t.url);
      await c.post('/api/auth/login', { email: u.email, password: u.password });
      const options = await c.post('/api/auth/login/second-factor/passkey/options');
      const ownKeysOnly = options.body.allowCredentials.map((x: { id: string }) => x.id);
      assert.deepEqual(ownKeysOnly, [(await t.owner('user_passkeys').where({ user_id: u.id }).first('credential_id')).credential_id]);
      const response = await authenticate(foreign, { ...options.body, allowCredentials: [] });
      const wrong = await c.request('POST', '/api/auth/login/second-factor/passkey', { response }, { cookie: `${c.cookie}; ${webauthnCookie(options)}` });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'passkey_rejected');
      assert.equal(c.session, undefined);
      assert.equal(Number((await t.owner('users').where({ id: u.id }).first('failed_login_count')).failed_login_count), before + 1);
      assert.equal(await lastReason(u.id), 'passkey_unknown');

      // Without the password step there is nothing to complete.
      const none = await new Client(t.url).post('/api/auth/login/second-factor/passkey/options');
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, 'challenge_expired');
    } finally {
      await d.context.close();
      await foreign.context.close();
    }
  });

  it('a bank requiring passkeys of its admins: TOTP opens a session restricted to enrolling one; then only the passkey finishes the sign-in', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'], settings: { passkey_required: true } });
    await enrolFactor(t, admin);
    const analyst = await addUser(t, admin.tenantId, { roles: ['analyst'] });
    const d = await device(browser, origin);
    const second = await device(browser, origin);
    try {
      const c = await signedIn(admin);
      const refused = await c.get('/api/users');
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'passkey_enrolment_required');
      const info = (await c.get('/api/auth/session')).body;
      assert.deepEqual([info.mfa.verified, info.mfa.passkeyRequired, info.mfa.passkeyEnrolled, info.mfa.phishingResistant], [true, true, false, false]);
      assert.equal((await (await signedIn(analyst)).get('/api/containers')).status, 200, 'analysts are not admins');

      // The bootstrap: the restricted session registers the first passkey, no further one.
      assert.equal((await addPasskey(c, d)).status, 201);
      const still = await c.get('/api/users');
      assert.equal(still.status, 403);
      assert.equal(still.body.error.code, 'passkey_required');
      const another = await addPasskey(c, second);
      assert.equal(another.status, 403);
      assert.equal(another.body.error.code, 'passkey_required');

      // With a passkey registered, TOTP no longer finishes the sign-in.
      const totp = new Client(t.url);
      const res = await totp.login(admin.email, admin.password);
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'passkey_required');
      assert.equal(totp.session, undefined);
      assert.equal(await lastReason(admin.id), 'passkey_required');

      const ok = await passwordThenPasskey(admin, d);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal((await ok.client.get('/api/users')).status, 200);
      const pk = await passwordless(d);
      assert.equal(pk.status, 200);
      assert.equal((await pk.client.get('/api/users')).status, 200, 'a passwordless passkey sign-in is phishing-resistant too');
    } finally {
      await d.context.close();
      await second.context.close();
    }
  });

  it('the requirement is a security setting: under four-eyes switching it waits for a second admin', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'], settings: { four_eyes: true } });
    await addUser(t, admin.tenantId, { roles: ['tenant_admin'] });
    const c = await signedIn(admin);
    const res = await c.request('PATCH', '/api/settings', { passkeyRequired: true, reason: 'Phishing-resistant sign-in for admins' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal((await c.get('/api/settings')).body.passkeyRequired, false, 'not in force before the approval');
    const solo = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const s = await signedIn(solo);
    const on = await s.request('PATCH', '/api/settings', { passkeyRequired: true });
    assert.equal(on.status, 200);
    assert.equal(on.body.passkeyRequired, true);
    assert.equal((await s.get('/api/users')).body.error.code, 'passkey_enrolment_required', 'in force for the next request');
  });

  it('where the bank requires its directory, a passwordless passkey sign-in is refused too', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const d = await device(browser, origin);
    try {
      assert.equal((await addPasskey(await signedIn(u), d)).status, 201);
      assert.equal((await passwordless(d)).status, 200);
      await t.owner('tenant_directories').insert({ tenant_id: u.tenantId, method: 'ldap', ldap_url: 'ldaps://ldap.invalid', required: true });
      const res = await passwordless(d);
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'directory_sign_in_required');
      assert.equal(res.client.session, undefined);
      assert.equal(await lastReason(u.id), 'directory_required');
    } finally {
      await d.context.close();
    }
  });

  it('the platform rule (VENDOR_PASSKEY_REQUIRED): vendor staff signed in with TOTP can only enrol a passkey', async () => {
    const k = await startTestKontor({ vendorPasskeyRequired: true });
    const kOrigin = k.url.replace('127.0.0.1', 'localhost');
    k.kontor.passkeys.setPublicUrl(kOrigin);
    const d = await device(browser, kOrigin);
    try {
      const staff = await vendorUser(k, ['support']);
      const without = await vendorUser(t, ['support']);
      assert.equal((await (await signedIn(without)).get('/api/platform/tenants')).status, 200, 'without the rule TOTP suffices');
      const c = await signedIn(staff, k);
      const refused = await c.get('/api/platform/tenants');
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'passkey_enrolment_required');
      assert.equal((await addPasskey(c, d)).status, 201);
      const pk = await passwordless(d, k);
      assert.equal(pk.status, 200, JSON.stringify(pk.body));
      assert.equal((await pk.client.get('/api/platform/tenants')).status, 200);
    } finally {
      await d.context.close();
      await k.close();
    }
  });
});
