import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { launchChromium } from '../lib/browser.js';
import { ownerDatabase } from '../lib/database.js';
import { acceptInvitation } from '../lib/invitation.js';
import { startProvider } from '../lib/oidc-provider.js';
import { atPath, fillSignIn, newPage, signIn } from '../lib/pages.js';
import { signInSuperadmin } from '../lib/superadmin.js';
import { freePort } from '../../backend/src/net/free-port.js';
import { startSlapd, type TestDirectory } from '../../backend/test/helpers/slapd.js';

/**
 * Issue 21 in the browser: a bank signs its analyst in through its own OpenID Provider (a real
 * oidc-provider process), and a user registers a passkey on the Security page and signs in with it
 * through Chromium's virtual authenticator; last, the bank moves to LDAP (Debian's slapd, the backend
 * suite's helper) and the analyst signs in with the directory's password. Everything runs at the public host name (`localhost`):
 * a passkey's relying party id cannot be an IP address, and the OIDC redirect URI is fixed to it.
 * Self-contained: it makes its own bank; the suites share one server. Named to run after sign-in.test
 * (which must see the superadmin's initial password first).
 */
const at = process.env.E2E_PUBLIC_URL!;
const mailDir = process.env.E2E_MAIL_DIR!;
const bank = 'Sparkasse Heideland';
const admin = { email: 'hanna@heideland.example', password: 'Heideland Verwaltung 2026' };
const analyst = { email: 'anna@heideland.example', name: 'Anna Analystin' };
const clientSecret = randomBytes(24).toString('base64url');
let browser: Browser;
let provider: Awaited<ReturnType<typeof startProvider>>;

async function signOut(p: Page): Promise<void> {
  await p.locator('[data-test-account-menu] [data-test-dropdown-toggle]').click();
  await p.locator('[data-test-account-menu]').getByRole('button', { name: /Sign out|Abmelden/ }).click();
  await atPath(p, '/login');
}

/** The newest sign-in record of the bank: what the server decided, not only what the page says. */
async function lastLoginEvent(): Promise<{ outcome: string; reason: string }> {
  const db = await ownerDatabase();
  try {
    const { id } = await db('tenants').where({ name: bank }).first<{ id: string }>('id');
    return await db.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [id]);
      return trx('login_events').where({ tenant_id: id }).orderBy('id', 'desc').first<{ outcome: string; reason: string }>('outcome', 'reason');
    });
  } finally {
    await db.destroy();
  }
}

before(async () => {
  browser = await launchChromium();
  // The platform makes the bank; its admin joins, configures OIDC in the admin form and invites the analyst.
  const sa = await newPage(browser);
  await signInSuperadmin(sa, 'Mandantenpflege sicher 2026');
  await sa.getByRole('link', { name: 'Platform' }).click();
  await atPath(sa, '/platform/tenants');
  await sa.getByLabel('Name', { exact: true }).fill(bank);
  await sa.getByLabel('Name of its first administrator').fill('Hanna Admin');
  await sa.getByLabel('Email of its first administrator').fill(admin.email);
  await sa.locator('[data-test-create-tenant-submit]').click();
  await sa.locator(`[data-test-tenant-row="${bank}"]`).waitFor();
  await sa.context().close();

  const hanna = await newPage(browser);
  await acceptInvitation(hanna, mailDir, admin.email, admin.password, at);
  await signIn(hanna, admin.email, admin.password, at);
  await hanna.getByRole('link', { name: 'Administration' }).click();
  await hanna.locator('[data-test-tab-directory]').click();
  await atPath(hanna, '/admin/directory');
  assert.equal(await hanna.locator('[data-test-directory-redirect]').inputValue(), `${at}/api/auth/oidc/callback`, 'the redirect URI to register at the provider');
  await hanna.locator('[data-test-directory-method]').selectOption('oidc');
  // The bank's provider learns both addresses the form shows: the redirect URI and the back-channel logout URI.
  const backchannel = await hanna.locator('[data-test-directory-backchannel]').inputValue();
  assert.ok(backchannel.startsWith(`${at}/api/auth/oidc/backchannel-logout/`) && /\/[0-9a-f-]{36}$/.test(backchannel), backchannel);
  provider = await startProvider({
    clients: [{ client_id: 'kontor-heideland', client_secret: clientSecret, redirect_uris: [`${at}/api/auth/oidc/callback`], backchannel_logout_uri: backchannel, backchannel_logout_session_required: true }],
    accounts: {
      'anna.analystin': { password: 'Bankverzeichnis 1', sub: 'emp-1001', claims: { email: analyst.email, email_verified: true, name: analyst.name } },
      // Known to the bank's directory, never invited to Kontor.
      'fritz.fremd': { password: 'Bankverzeichnis 2', sub: 'emp-1002', claims: { email: 'fritz@heideland.example', email_verified: true, name: 'Fritz Fremd' } },
    },
  });
  await hanna.locator('[data-test-directory-domains]').fill('heideland.example');
  await hanna.locator('[data-test-directory-issuer]').fill(provider.issuer);
  await hanna.locator('[data-test-directory-client-id]').fill('kontor-heideland');
  await hanna.locator('[data-test-directory-client-secret]').fill(clientSecret);
  await hanna.locator('[data-test-directory-save]').click();
  await hanna.locator('[data-test-directory-saved]').waitFor();
  await hanna.locator('[data-test-secret-stored]').waitFor();

  await hanna.goto(`${at}/admin/users`);
  await hanna.getByLabel('Name', { exact: true }).fill(analyst.name);
  await hanna.getByLabel('Email', { exact: true }).fill(analyst.email);
  await hanna.locator('[data-test-invite-roles]').getByLabel('Analyst', { exact: true }).check();
  await hanna.locator('[data-test-invite]').click();
  await hanna.locator(`[data-test-user-row="${analyst.email}"]`).waitFor();
  await hanna.context().close();
});

after(async () => {
  await browser?.close();
  await provider?.stop();
});

/** The SPA's login page in German: the address decides whether the bank's directory is offered. */
async function startAtBank(p: Page, email: string): Promise<void> {
  await p.goto(`${at}/login`);
  await p.locator('#login-email').fill(email);
  await p.locator('#login-email').blur();
  const button = p.locator('[data-test-directory-oidc]');
  await button.waitFor();
  assert.equal((await button.textContent())?.trim(), `Mit ${bank}-Konto anmelden`);
  await button.click();
  // The provider's own sign-in page.
  await p.waitForURL((u) => u.origin === provider.issuer, { timeout: 15_000 });
}

async function providerSignIn(p: Page, login: string, password: string): Promise<void> {
  await p.getByLabel('Benutzername').fill(login);
  await p.getByLabel('Passwort').fill(password);
  await p.getByRole('button', { name: 'Anmelden' }).click();
}

describe('directory sign-in in the browser (OpenID Connect)', () => {
  it('the invited analyst signs in through the bank\'s provider and lands signed in in Kontor', async () => {
    const p = await newPage(browser, 'de-DE');
    await startAtBank(p, analyst.email);
    await providerSignIn(p, 'anna.analystin', 'wrong password');
    await p.getByRole('alert').filter({ hasText: 'falsch' }).waitFor();
    await providerSignIn(p, 'anna.analystin', 'Bankverzeichnis 1');
    await p.waitForURL((u) => u.origin === at, { timeout: 15_000 });
    await atPath(p, '/');
    await p.locator('[data-test-home-title]').waitFor();
    const info = await p.evaluate(async () => (await fetch('/api/auth/session')).json() as Promise<{ user: { email: string }; tenant: { name: string } }>);
    assert.equal(info.user.email, analyst.email);
    assert.equal(info.tenant.name, bank);
    assert.deepEqual(await lastLoginEvent(), { outcome: 'success', reason: 'ok_oidc' });
    const session = (await p.context().cookies()).find((c) => c.name === '__Host-kontor_session');
    assert.ok(session?.httpOnly && session.secure && session.sameSite === 'Strict', 'the ordinary session cookie');
    await p.context().close();
  });

  it('signing out at the bank\'s provider ends the Kontor session; the sign-in page says why', async () => {
    const p = await newPage(browser, 'de-DE');
    await startAtBank(p, analyst.email);
    await providerSignIn(p, 'anna.analystin', 'Bankverzeichnis 1');
    await p.waitForURL((u) => u.origin === at, { timeout: 15_000 });
    await p.locator('[data-test-home-title]').waitFor();
    // At the provider: its own sign-out page; confirming it sends the logout token to Kontor.
    await p.goto(`${provider.issuer}/session/end`);
    await p.getByRole('button', { name: 'Yes, sign me out' }).click();
    await p.waitForURL((u) => u.pathname.startsWith('/session/end/success'), { timeout: 15_000 });
    await p.goto(`${at}/`);
    await atPath(p, '/login');
    await p.locator('[data-test-login-notice]', { hasText: 'Sie haben sich im Verzeichnis Ihrer Bank abgemeldet' }).waitFor();
    await p.context().close();
  });

  it('a directory account never invited to Kontor is refused with the translated reason', async () => {
    const p = await newPage(browser, 'de-DE');
    await startAtBank(p, 'fritz@heideland.example');
    await providerSignIn(p, 'fritz.fremd', 'Bankverzeichnis 2');
    await p.waitForURL((u) => u.origin === at, { timeout: 15_000 });
    await atPath(p, '/login');
    await p.locator('[data-test-form-error]', { hasText: 'Für dieses Konto gibt es in Kontor keinen Zugang.' }).waitFor();
    assert.equal((await p.context().cookies()).some((c) => c.name.endsWith('kontor_session')), false);
    assert.deepEqual(await lastLoginEvent(), { outcome: 'failure', reason: 'unknown_user' });
    await p.context().close();
  });

  it('a provider that cannot be reached ends on the sign-in page with the translated reason, not on an error body', async () => {
    const hanna = await newPage(browser);
    await signIn(hanna, admin.email, admin.password, at);
    await hanna.goto(`${at}/admin/directory`);
    // The bank's provider moved to an address where nothing answers (the client secret stays stored).
    await hanna.locator('[data-test-directory-issuer]').fill(`https://127.0.0.1:${await freePort()}`);
    await hanna.locator('[data-test-directory-save]').click();
    await hanna.locator('[data-test-directory-saved]').waitFor();
    await hanna.context().close();

    const p = await newPage(browser, 'de-DE');
    await p.goto(`${at}/login`);
    await p.locator('#login-email').fill(analyst.email);
    await p.locator('#login-email').blur();
    await p.locator('[data-test-directory-oidc]').click();
    await p.locator('[data-test-form-error]', { hasText: 'Das Verzeichnis Ihrer Bank ist gerade nicht erreichbar.' }).waitFor({ timeout: 30_000 });
    assert.equal(new URL(p.url()).pathname, '/login');
    await p.context().close();
  });
});

describe('passkeys in Chromium (virtual authenticator)', () => {
  it('registers a passkey on the Security page, signs in with it, refuses a cloned copy, removes it', async () => {
    const p = await newPage(browser);
    const cdp: CDPSession = await p.context().newCDPSession(p);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    await signIn(p, admin.email, admin.password, at);
    await p.goto(`${at}/security`);
    await p.locator('[data-test-no-passkeys]').waitFor();
    await p.locator('[data-test-passkey-name]').fill('Büro-Laptop');
    await p.locator('[data-test-passkey-add]').click();
    await p.locator('[data-test-passkey-added]', { hasText: 'Büro-Laptop' }).waitFor();
    const row = p.locator('[data-test-passkey-row]', { hasText: 'Büro-Laptop' });
    const cells = async () => row.locator('td').allTextContents().then((t) => t.map((s) => s.trim()));
    const [, created, lastUsed] = await cells();
    assert.match(created, /\d{4}/, 'the date it was added');
    assert.equal(lastUsed, 'never');
    // What a cloned authenticator would hold: the credential as it is now, with today's counter.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    const copy = credentials[0];
    assert.equal(copy.rpId, 'localhost');

    await signOut(p);
    await p.locator('[data-test-passkey-login]').click();
    await atPath(p, '/');
    assert.deepEqual(await lastLoginEvent(), { outcome: 'success', reason: 'ok_passkey' });
    await p.goto(`${at}/security`);
    await row.waitFor();
    assert.notEqual((await cells())[2], 'never', 'last used is set by the sign-in');
    assert.match((await cells())[2], /\d{4}/);

    // The genuine authenticator as it is now (its counter moved on with the sign-in).
    const current = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0];
    // The clone answers with a counter the server has already seen: refused, with the translated reason.
    await signOut(p);
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: copy.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: copy });
    await p.locator('[data-test-passkey-login]').click();
    await p.locator('[data-test-form-error]', { hasText: 'This passkey could not be verified.' }).waitFor();
    assert.equal(new URL(p.url()).pathname, '/login');
    assert.deepEqual(await lastLoginEvent(), { outcome: 'failure', reason: 'passkey_cloned' });

    // Back to the genuine one: a password sign-in now asks for a second step, and the passkey answers it.
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: copy.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: current });
    await fillSignIn(p, admin.email, admin.password, at);
    await p.locator('[data-test-second-factor-passkey]').click();
    await atPath(p, '/');
    assert.deepEqual(await lastLoginEvent(), { outcome: 'success', reason: 'ok_passkey_second_step' });
    await p.goto(`${at}/security`);
    await row.locator('[data-test-passkey-remove]').click();
    await row.locator('[data-test-confirm-yes]').click();
    await p.locator('[data-test-no-passkeys]').waitFor();
    // Removed at the server too: the authenticator's credential no longer signs anyone in.
    await signOut(p);
    await p.locator('[data-test-passkey-login]').click();
    await p.locator('[data-test-form-error]', { hasText: 'This passkey could not be verified.' }).waitFor();
    assert.equal(new URL(p.url()).pathname, '/login');
    await p.context().close();
  });
});

describe('directory sign-in in the browser (LDAP)', () => {
  let slapd: TestDirectory;
  let anna: { dn: string; password: string };
  before(async () => {
    slapd = await startSlapd();
    anna = await slapd.addUser('anna', analyst.email);
    // The bank moves its sign-in to its LDAP directory (ldaps://, the server certificate checked against the bank's CA).
    const hanna = await newPage(browser);
    await signIn(hanna, admin.email, admin.password, at);
    await hanna.goto(`${at}/admin/directory`);
    await hanna.locator('[data-test-directory-method]').selectOption('ldap');
    await hanna.locator('[data-test-directory-url]').fill(slapd.ldapsUrl);
    await hanna.locator('[data-test-directory-ca]').fill(slapd.caPem);
    await hanna.locator('[data-test-directory-ldap-mode]').selectOption('template');
    await hanna.locator('[data-test-directory-bind-template]').fill(`uid={local},ou=people,${slapd.base}`);
    await hanna.locator('[data-test-directory-save]').click();
    await hanna.locator('[data-test-directory-saved]').waitFor();
    await hanna.context().close();
  });
  after(async () => slapd?.stop());

  it('the analyst signs in with the directory password against the real slapd; a wrong one is refused', async () => {
    const p = await newPage(browser, 'de-DE');
    await p.goto(`${at}/login`);
    await p.locator('#login-email').fill(analyst.email);
    await p.locator('#login-email').blur();
    const button = p.locator('[data-test-directory-ldap]');
    await button.waitFor();
    assert.equal((await button.textContent())?.trim(), `Mit ${bank}-Konto anmelden`);
    const password = p.getByLabel(`Passwort Ihres ${bank}-Kontos`);
    await password.fill('not the directory password');
    await button.click();
    await p.locator('[data-test-form-error]', { hasText: 'E-Mail-Adresse oder Passwort sind nicht korrekt' }).waitFor();
    assert.deepEqual(await lastLoginEvent(), { outcome: 'failure', reason: 'wrong_password' });

    await password.fill(anna.password);
    await button.click();
    await atPath(p, '/');
    const info = await p.evaluate(async () => (await fetch('/api/auth/session')).json() as Promise<{ user: { email: string } }>);
    assert.equal(info.user.email, analyst.email);
    assert.deepEqual(await lastLoginEvent(), { outcome: 'success', reason: 'ok_ldap' });
    await p.context().close();
  });
});
