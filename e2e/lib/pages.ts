import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';

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

export async function fillSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${base()}/login`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await fillSignIn(page, email, password);
  await atPath(page, '/');
}
