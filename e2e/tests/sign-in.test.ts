import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../lib/browser.js';
import { mailCount, waitForMail } from '../lib/mail-drop.js';
import { atPath, fillSignIn, newPage, passSecondFactor } from '../lib/pages.js';
import { currentStep, rememberFactor, totpCode } from '../lib/totp.js';

const base = process.env.E2E_BASE_URL!;
const home = process.env.E2E_KONTOR_HOME!;
const mailDir = process.env.E2E_MAIL_DIR!;
const adminEmail = 'admin@kontor.example';
const newPassword = 'Sparbuch e2e passphrase 2026';
const recoveredPassword = 'recovered e2e passphrase 77';
let browser: Browser;

before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser.close();
});

const freshPage = (): Promise<Page> => newPage(browser);
const signIn = fillSignIn;

describe('first sign-in of the superadmin (flows run in order)', () => {
  it('reads the initial password from initial-admin.txt, is forced to change it, and can then work', async () => {
    const file = path.join(home, 'initial-admin.txt');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const initial = /password: (\S+)/.exec(fs.readFileSync(file, 'utf8'))![1];
    const page = await freshPage();
    await signIn(page, adminEmail, initial);
    await atPath(page, '/password');
    await page.locator('[data-test-must-change]').waitFor();
    await page.getByLabel('Current password').fill(initial);
    await page.getByLabel('New password', { exact: true }).fill('password1234');
    await page.getByLabel('Repeat new password').fill('password1234');
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.locator('[data-test-form-error]', { hasText: 'commonly used' }).waitFor();
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    assert.equal(await page.locator('[data-test-hint="password.hint.minLength"]').getAttribute('data-test-hint-state'), 'met');
    await page.getByLabel('Repeat new password').fill(newPassword);
    await page.getByRole('button', { name: 'Save password' }).click();
    // Vendor staff must set up a second factor before anything else.
    await atPath(page, '/security');
    await page.locator('[data-test-mfa-required]').waitFor();
    await page.locator('[data-test-totp-start]').click();
    assert.match((await page.locator('[data-test-qr]').getAttribute('src')) ?? '', /^data:image\/svg\+xml;base64,/);
    const secret = ((await page.locator('[data-test-secret]').textContent()) ?? '').replace(/\s/g, '');
    const step = currentStep();
    rememberFactor(adminEmail, secret, step);
    await page.locator('[data-test-totp-code]').fill(totpCode(secret, step));
    await page.locator('[data-test-totp-confirm]').click();
    await page.locator('[data-test-recovery-code]').first().waitFor();
    assert.equal(await page.locator('[data-test-recovery-code]').count(), 10, 'ten recovery codes, shown once');
    await page.locator('[data-test-recovery-saved]').click();
    await atPath(page, '/');
    await page.locator('[data-test-home-title]').waitFor();
    await page.locator('[data-test-account-menu] [data-test-dropdown-toggle]').click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await atPath(page, '/login');
    await page.locator('[data-test-login-notice]', { hasText: 'You have signed out.' }).waitFor();
    await page.context().close();
  });

  it('signs in with the new password and sees the previous login and failed attempts', async () => {
    const page = await freshPage();
    await signIn(page, adminEmail, 'definitely-wrong-1');
    await page.locator('[data-test-form-error]').waitFor();
    await signIn(page, adminEmail, newPassword);
    // The password alone opens nothing: the code from the app is asked for.
    await page.locator('[data-test-second-factor-form]').waitFor();
    assert.equal((await page.context().cookies()).some((c) => c.name.endsWith('kontor_session')), false);
    await passSecondFactor(page, adminEmail);
    await atPath(page, '/');
    const notice = page.locator('[data-test-previous-login]');
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /127\.0\.0\.1/);
    assert.match((await notice.textContent()) ?? '', /1 failed attempt/);
    await page.locator('[data-test-account-menu] [data-test-dropdown-toggle]').click();
    await page.getByRole('link', { name: 'My sessions' }).click();
    await page.locator('[data-test-sessions] tbody tr').first().waitFor();
    assert.ok((await page.locator('[data-test-sessions] tbody tr').count()) >= 1);
    await page.context().close();
  });

  it('the session cookie is __Host-, Secure (behind TLS), HttpOnly, SameSite=Strict, and nothing sits in web storage', async () => {
    const page = await freshPage();
    await signIn(page, adminEmail, newPassword);
    await passSecondFactor(page, adminEmail);
    await atPath(page, '/');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === '__Host-kontor_session');
    assert.ok(session, `cookies: ${cookies.map((c) => c.name).join(', ')}`);
    assert.ok(session.secure);
    assert.equal(session.path, '/');
    assert.ok(session.httpOnly);
    assert.equal(session?.sameSite, 'Strict');
    const storage = await page.evaluate(() => localStorage.length + sessionStorage.length);
    assert.equal(storage, 0);
    assert.equal(await page.evaluate(() => document.cookie), '', 'the token must be invisible to scripts');
    await page.context().close();
  });

  it('recovers a locked account with the mailed code', async () => {
    const page = await freshPage();
    for (let i = 0; i < 4; i++) {
      await signIn(page, adminEmail, `wrong-password-${i}`);
      await page.locator('[data-test-form-error]').waitFor();
    }
    await signIn(page, adminEmail, newPassword);
    await page.locator('[data-test-form-error]').waitFor();
    assert.equal(page.url(), `${base}/login`, 'locked account must not sign in');
    await waitForMail(mailDir, (m) => m.to.includes(adminEmail) && /locked|gesperrt/.test(m.subject));

    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByLabel('Email address').fill(adminEmail);
    const before = mailCount(mailDir);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.locator('[data-test-code-sent]').waitFor();
    const mail = await waitForMail(mailDir, (m) => m.to.includes(adminEmail) && /recovery code|Wiederherstellungscode/.test(m.subject), before);
    const code = /(\d{8})/.exec(mail.text)![1];
    await page.getByLabel('Code from the email').fill(code);
    await page.getByLabel('New password', { exact: true }).fill(recoveredPassword);
    await page.getByLabel('Repeat new password').fill(recoveredPassword);
    await page.getByRole('button', { name: 'Set password and unlock account' }).click();
    await atPath(page, '/login');
    await page.locator('[data-test-login-notice]', { hasText: 'unlocked' }).waitFor();
    await signIn(page, adminEmail, recoveredPassword);
    // Recovery does not bypass the second factor.
    await page.locator('[data-test-second-factor-form]').waitFor();
    await passSecondFactor(page, adminEmail);
    await atPath(page, '/');
    await page.locator('[data-test-home-title]').waitFor();
    await page.context().close();
  });
});
