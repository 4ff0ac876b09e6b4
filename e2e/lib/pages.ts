import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { currentStep, nextCode, rememberFactor, totpCode } from './totp.js';

export const base = (): string => process.env.E2E_BASE_URL!;

export async function newPage(browser: Browser, locale = 'en-US'): Promise<Page> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
  return page;
}

/** SPA navigations change history without a load event, so poll the path; on timeout say where we are. */
export async function atPath(page: Page, path: string): Promise<void> {
  try {
    await page.waitForFunction((p) => location.pathname === p, path, { timeout: 15_000 });
  } catch (err) {
    const where = await page.evaluate(() => `${location.pathname}: ${document.querySelector('main')?.textContent?.replace(/\s+/g, ' ').slice(0, 300)}`);
    throw new Error(`expected ${path}, but the page is at ${where}`, { cause: err });
  }
}

/** `at`: the origin to sign in at (the passkey and directory suites use the public host name). */
export async function fillSignIn(page: Page, email: string, password: string, at = base()): Promise<void> {
  await page.goto(`${at}/login`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.locator('[data-test-login-submit]').click();
}

/**
 * After the password: answers the second-factor step with the "phone's" current code, or sets the
 * factor up when the account must have one (vendor staff, banks that require it). Resolves with
 * the path the SPA settled on, or 'error' when a sign-in error is shown.
 */
export async function passSecondFactor(page: Page, email: string): Promise<string> {
  for (;;) {
    const state = await page.waitForFunction(() => {
      if (document.querySelector('[data-test-form-error]')) return 'error';
      if (document.querySelector('[data-test-second-factor-form]')) return 'code';
      if (location.pathname === '/security') return document.querySelector('[data-test-totp-start], [data-test-mfa-enrolled]') ? 'security' : false;
      if (location.pathname !== '/login') return location.pathname;
      return false;
    }, undefined, { timeout: 15_000 }).then((h) => h.jsonValue() as Promise<string>);
    if (state === 'code') {
      await page.locator('#login-code').fill(await nextCode(email));
      await page.locator('[data-test-code-submit]').click();
      await page.waitForFunction(() => !document.querySelector('[data-test-second-factor-form]') || document.querySelector('[data-test-form-error]'));
      continue;
    }
    if (state === 'security' && (await page.locator('[data-test-totp-start]').count())) {
      await page.locator('[data-test-totp-start]').click();
      const secret = ((await page.locator('[data-test-secret]').textContent()) ?? '').replace(/\s/g, '');
      const step = currentStep();
      rememberFactor(email, secret, step);
      await page.locator('[data-test-totp-code]').fill(totpCode(secret, step));
      await page.locator('[data-test-totp-confirm]').click();
      await page.locator('[data-test-recovery-saved]').click();
      await atPath(page, '/');
      return '/';
    }
    return state;
  }
}

export async function signIn(page: Page, email: string, password: string, at = base()): Promise<void> {
  await fillSignIn(page, email, password, at);
  await passSecondFactor(page, email);
  await atPath(page, '/');
}
