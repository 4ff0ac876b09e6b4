import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';

/**
 * Passkeys with a real authenticator: Chromium's virtual authenticator (DevTools protocol, WebAuthn
 * domain) answers navigator.credentials through @simplewebauthn/browser, on http://localhost:<port>
 * (a secure context, and a valid relying-party id). The API calls go through the real app.
 */
const require = createRequire(import.meta.url);
// The frontend's dependency (hoisted to the root node_modules by the workspace install).
const browserBundle = fs.readFileSync(path.join(path.dirname(require.resolve('@simplewebauthn/browser')), '../dist/bundle/index.umd.min.js'), 'utf8');

let t: TestKontor;
let browser: Browser;
let origin: string;

before(async () => {
  t = await startTestKontor();
  origin = t.url.replace('127.0.0.1', 'localhost');
  t.kontor.passkeys.setPublicUrl(origin);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await t?.close();
});

interface Device {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

/** A browser with one virtual platform authenticator (user verification on), on Kontor's origin. */
async function device(): Promise<Device> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // A blank page of Kontor's origin that loads the browser library (the SPA bundles the same).
  await page.route(`${origin}/passkey-test`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><script>${browserBundle}</script>` }));
  await page.goto(`${origin}/passkey-test`);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { context, page, cdp, authenticatorId };
}

const register = (d: Device, optionsJSON: unknown) =>
  d.page.evaluate((o) => (window as any).SimpleWebAuthnBrowser.startRegistration({ optionsJSON: o }), optionsJSON);
const authenticate = (d: Device, optionsJSON: unknown) =>
  d.page.evaluate((o) => (window as any).SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: o }), optionsJSON);

async function signedIn(u: TestUser): Promise<Client> {
  const c = new Client(t.url);
  assert.equal((await c.login(u.email, u.password)).status, 200);
  return c;
}

/** Cookies are per host: the API client talks to 127.0.0.1, the authenticator sees localhost; the server checks the origin in the signed answer. */
async function addPasskey(c: Client, d: Device, name = 'Laptop'): Promise<any> {
  const options = await c.post('/api/auth/passkeys/options');
  assert.equal(options.status, 200, JSON.stringify(options.body));
  const state = options.headers.getSetCookie().find((x) => x.startsWith('kontor_webauthn='))!.split(';')[0]!;
  const response = await register(d, options.body);
  const saved = await c.request('POST', '/api/auth/passkeys', { name, response }, { cookie: `${c.cookie}; ${state}` });
  return saved;
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
