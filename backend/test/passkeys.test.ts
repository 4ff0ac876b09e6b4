import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { addPasskey, authenticate, device as deviceAt, launchChromium, type Device } from './helpers/passkey-device.js';

/**
 * Passkeys with a real authenticator: Chromium's virtual authenticator (DevTools protocol, WebAuthn
 * domain) answers navigator.credentials through @simplewebauthn/browser, on http://localhost:<port>
 * (a secure context, and a valid relying-party id). The API calls go through the real app.
 */
let t: TestKontor;
let browser: Browser;
let origin: string;
let device: () => Promise<Device>;

before(async () => {
  t = await startTestKontor();
  origin = t.url.replace('127.0.0.1', 'localhost');
  t.kontor.passkeys.setPublicUrl(origin);
  browser = await launchChromium();
  device = () => deviceAt(browser, origin);
});
after(async () => {
  await browser?.close();
  await t?.close();
});

async function signedIn(u: TestUser): Promise<Client> {
  const c = new Client(t.url);
  assert.equal((await c.login(u.email, u.password)).status, 200);
  return c;
}

async function passkeySignIn(d: Device): Promise<{ status: number; body: any; client: Client }> {
  const c = new Client(t.url);
  const options = await c.post('/api/auth/login/passkey/options');
  const state = options.headers.getSetCookie().find((x) => x.startsWith('kontor_webauthn='))!.split(';')[0]!;
  const response = await authenticate(d, options.body);
  const res = await c.request('POST', '/api/auth/login/passkey', { response }, { cookie: state });
  return { ...res, client: c };
}

describe('passkeys (Chromium virtual authenticator)', () => {
  it('register on the Security page, sign in with it (no password, counts as second factor), list and remove', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const c = await signedIn(u);
    const d = await device();
    try {
      const saved = await addPasskey(c, d, 'Work laptop');
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
      assert.equal(saved.body.name, 'Work laptop');
      const row = await t.owner('user_passkeys').where({ user_id: u.id }).first('counter', 'device_type', 'backed_up', 'public_key');
      assert.ok(row.public_key.length > 30, 'the public key is stored');
      assert.equal(typeof row.backed_up, 'boolean');

      const signIn = await passkeySignIn(d);
      assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
      assert.equal(signIn.body.user.id, u.id);
      assert.equal(signIn.body.mfa.verified, true, 'a user-verified passkey is two factors');
      assert.equal((await signIn.client.get('/api/containers')).status, 200);
      assert.equal((await t.owner('login_events').where({ user_id: u.id }).orderBy('id', 'desc').first('reason')).reason, 'ok_passkey');

      const list = await c.get('/api/auth/passkeys');
      assert.equal(list.body.length, 1);
      assert.ok(list.body[0].lastUsedAt, 'last use recorded');
      assert.equal((await c.delete(`/api/auth/passkeys/${list.body[0].id}`)).status, 204);
      assert.equal((await c.get('/api/auth/passkeys')).body.length, 0);
      const after = await passkeySignIn(d);
      assert.equal(after.status, 401, 'a removed passkey signs nobody in');
      assert.equal(after.client.session, undefined);
    } finally {
      await d.context.close();
    }
  });

  it('an assertion from a cloned authenticator (counter not moving forward) is refused', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const c = await signedIn(u);
    const d = await device();
    const clone = await device();
    try {
      assert.equal((await addPasskey(c, d)).status, 201);
      // Copy the credential, private key and counter included, before it is used.
      const { credentials } = await d.cdp.send('WebAuthn.getCredentials', { authenticatorId: d.authenticatorId });
      assert.equal(credentials.length, 1);
      assert.equal((await passkeySignIn(d)).status, 200);
      assert.equal((await passkeySignIn(d)).status, 200);
      const stored = Number((await t.owner('user_passkeys').where({ user_id: u.id }).first('counter')).counter);
      assert.ok(stored >= 2, `the counter moved forward (${stored})`);
      await clone.cdp.send('WebAuthn.addCredential', { authenticatorId: clone.authenticatorId, credential: { ...credentials[0]!, signCount: 0 } });
      const cloned = await passkeySignIn(clone);
      assert.equal(cloned.status, 401);
      assert.equal(cloned.body.error.code, 'passkey_rejected');
      assert.equal((await t.owner('login_events').where({ user_id: u.id }).orderBy('id', 'desc').first('reason')).reason, 'passkey_cloned');
      assert.equal(Number((await t.owner('user_passkeys').where({ user_id: u.id }).first('counter')).counter), stored, 'the counter is unchanged');
    } finally {
      await d.context.close();
      await clone.context.close();
    }
  });

  it('a sign-in challenge is accepted once; a registration needs user verification and the right origin', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const c = await signedIn(u);
    const d = await device();
    try {
      assert.equal((await addPasskey(c, d)).status, 201);
      const first = new Client(t.url);
      const options = await first.post('/api/auth/login/passkey/options');
      const state = options.headers.getSetCookie().find((x) => x.startsWith('kontor_webauthn='))!.split(';')[0]!;
      const response = await authenticate(d, options.body);
      assert.equal((await first.request('POST', '/api/auth/login/passkey', { response }, { cookie: state })).status, 200);
      const replay = await new Client(t.url).request('POST', '/api/auth/login/passkey', { response }, { cookie: state });
      assert.equal(replay.status, 401);
      assert.equal(replay.body.error.code, 'passkey_challenge_expired');

      // Without user verification the authenticator's answer is refused.
      await d.cdp.send('WebAuthn.setUserVerified', { authenticatorId: d.authenticatorId, isUserVerified: false });
      const noUv = await passkeySignIn(d).catch((err: Error) => ({ status: 0, body: String(err.message), client: undefined }));
      assert.notEqual(noUv.status, 200, 'no session without user verification');

      // An answer signed for another origin than Kontor's public URL is refused.
      await d.cdp.send('WebAuthn.setUserVerified', { authenticatorId: d.authenticatorId, isUserVerified: true });
      const elsewhere = new Client(t.url);
      const opts = await elsewhere.post('/api/auth/login/passkey/options');
      const cookie = opts.headers.getSetCookie().find((x) => x.startsWith('kontor_webauthn='))!.split(';')[0]!;
      const signed = await authenticate(d, opts.body);
      t.kontor.passkeys.setPublicUrl('http://kontor.example');
      try {
        const res = await elsewhere.request('POST', '/api/auth/login/passkey', { response: signed }, { cookie });
        assert.equal(res.status, 401);
        assert.equal(elsewhere.session, undefined);
      } finally {
        t.kontor.passkeys.setPublicUrl(origin);
      }
    } finally {
      await d.context.close();
    }
  });
});
