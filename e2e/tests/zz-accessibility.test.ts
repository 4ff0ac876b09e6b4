import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { seriousViolations } from '../lib/axe.js';
import { launchChromium } from '../lib/browser.js';
import { base } from '../lib/pages.js';
import { signInSuperadmin } from '../lib/superadmin.js';

/** Runs last (zz-): it signs in as the superadmin in whatever state earlier suites left it. */
const home = process.env.E2E_KONTOR_HOME!;
let browser: Browser;

before(async () => {
  browser = await launchChromium();
});
after(async () => browser.close());

async function check(page: Page, label: string, failures: string[]): Promise<void> {
  for (const v of await seriousViolations(page)) failures.push(`${label}: ${v.id} (${v.impact}, ${v.nodes} node(s), e.g. ${v.first}): ${v.help}`);
}

describe('accessibility (WCAG 2.1 AA, axe-core): no serious or critical violations', () => {
  it('on the public pages and every main page of the admin, vendor and data areas', async () => {
    assert.ok(fs.existsSync(path.join(home, 'initial-admin.txt')));
    const context = await browser.newContext({ locale: 'de-DE', bypassCSP: true });
    const page = await context.newPage();
    const failures: string[] = [];
    // The check must be able to fail: an unlabelled field is a critical violation.
    await page.goto(`${base()}/login`);
    await page.locator('main h1').waitFor();
    await page.evaluate(() => document.querySelector('main')!.insertAdjacentHTML('beforeend', '<input type="text" id="unlabelled">'));
    assert.ok((await seriousViolations(page)).some((v) => v.id === 'label'), 'axe did not run');
    for (const p of ['/login', '/recovery']) {
      await page.goto(`${base()}${p}`);
      await page.locator('main h1').waitFor();
      await check(page, p, failures);
    }
    await page.close();
    const en = await (await browser.newContext({ locale: 'en-US', bypassCSP: true })).newPage();
    await signInSuperadmin(en, 'Barrierefrei pruefen 2026');
    for (const p of ['/', '/sessions', '/password', '/security', '/admin/users', '/admin/roles', '/admin/audit', '/admin/logins', '/admin/settings', '/platform/tenants', '/platform/users']) {
      await en.goto(`${base()}${p}`);
      await en.locator('main h1, main table, main form').first().waitFor();
      await en.waitForTimeout(300);
      await check(en, p, failures);
    }
    await en.context().close();
    assert.deepEqual(failures, []);
  });
});
