import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { mailCount, waitForMail } from './mail-drop.js';
import { atPath, base, fillSignIn, passSecondFactor } from './pages.js';

export const SUPERADMIN_EMAIL = 'admin@kontor.example';

/** Waits until a sign-in attempt (second factor included) lands on `success` or shows an error; true on success. */
async function landed(page: Page, success: string): Promise<boolean> {
  const where = await passSecondFactor(page, SUPERADMIN_EMAIL);
  if (where !== success) await page.waitForFunction((p) => location.pathname === p || document.querySelector('[data-test-form-error]'), success, { timeout: 15_000 });
  return page.evaluate((p) => location.pathname === p, success);
}

/**
 * Signs the superadmin in with `password`, whatever state other suites left the account in:
 * already set to it, still on the initial password (forced change), or anything else including
 * locked (recovery by the mailed code, which also unlocks).
 */
export async function signInSuperadmin(page: Page, password: string): Promise<void> {
  const mailDir = process.env.E2E_MAIL_DIR!;
  await fillSignIn(page, SUPERADMIN_EMAIL, password);
  if (await landed(page, '/')) return;

  const initial = /password: (\S+)/.exec(fs.readFileSync(path.join(process.env.E2E_KONTOR_HOME!, 'initial-admin.txt'), 'utf8'))![1];
  await fillSignIn(page, SUPERADMIN_EMAIL, initial);
  if (await landed(page, '/password')) {
    await page.getByLabel('Current password').fill(initial);
    await page.getByLabel('New password', { exact: true }).fill(password);
    await page.getByLabel('Repeat new password').fill(password);
    await page.getByRole('button', { name: 'Save password' }).click();
    // A vendor account: the second factor is set up next (once the SPA has left the password page).
    await page.waitForFunction(() => location.pathname !== '/password', undefined, { timeout: 30_000 });
    await passSecondFactor(page, SUPERADMIN_EMAIL);
    await atPath(page, '/');
    return;
  }

  await page.goto(`${base()}/recovery`);
  await page.getByLabel('Email address').fill(SUPERADMIN_EMAIL);
  const before = mailCount(mailDir);
  await page.getByRole('button', { name: 'Send code' }).click();
  const mail = await waitForMail(mailDir, (m) => m.to.includes(SUPERADMIN_EMAIL) && /recovery code|Wiederherstellungscode/.test(m.subject), before);
  await page.getByLabel('Code from the email').fill(/(\d{8})/.exec(mail.text)![1]);
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Repeat new password').fill(password);
  await page.getByRole('button', { name: 'Set password and unlock account' }).click();
  await atPath(page, '/login');
  await fillSignIn(page, SUPERADMIN_EMAIL, password);
  await passSecondFactor(page, SUPERADMIN_EMAIL);
  await atPath(page, '/');
}
