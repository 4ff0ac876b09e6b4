import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { seriousViolations } from '../lib/axe.js';
import { launchChromium } from '../lib/browser.js';
import { acceptInvitation } from '../lib/invitation.js';
import { base, signIn } from '../lib/pages.js';
import { signInSuperadmin } from '../lib/superadmin.js';

/**
 * Every main page at a laptop's 1366 px and a phone's 390 px: nothing sticks out sideways, on the
 * laptop the top bar stays one line, and axe finds no serious violation at either width (the
 * collapsed menu and the phone layout are checked too), the administration's tabs stay one line on
 * the laptop, and no German page shows a raw code, key or id. Screenshots land in e2e/.artifacts/screens/.
 * Runs last (zz-): after containers.test.ts (its demo analyst and calculations give the data pages
 * content) and after sign-in.test.ts has set up the superadmin's password and second factor.
 */
const shots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../.artifacts/screens');
const analyst = 'demo-analyst@sparkasse-musterstadt.example';
const analystPassword = 'Bestandsdaten sauber 2026';
const demoAdmin = 'demo-admin@sparkasse-musterstadt.example';
const superPassword = 'Mandantenpflege sicher 2026';
const widths = [
  { name: 'laptop', width: 1366, height: 768 },
  { name: 'phone', width: 390, height: 844 },
] as const;
let browser: Browser;

before(async () => {
  browser = await launchChromium();
  fs.mkdirSync(shots, { recursive: true });
  // The demo bank's administrator (invited by `kontor demo` in containers.test.ts) takes the invitation.
  const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await acceptInvitation(page, process.env.E2E_MAIL_DIR!, demoAdmin, analystPassword);
  await page.context().close();
});
after(async () => browser.close());

interface Measure {
  scrollWidth: number;
  innerWidth: number;
  navbarHeight: number;
  /** The administration's tab bar (0 elsewhere). */
  tabsHeight: number;
  wide: string[];
  /** What a bank's user should never read: a code (`line_too_long`, `group_id`), a key (`durationMs:`) or an id. */
  raw: string[];
}

/** The page's horizontal overflow, the top bar's height, and the elements reaching past the viewport. */
function measure(page: Page): Promise<Measure> {
  return page.evaluate(() => {
    const wide = [...document.querySelectorAll('body *')]
      // Inside a scroll box only what is positioned can escape it (a hidden label once did).
      .filter((e) => e.getBoundingClientRect().right > innerWidth + 1 && (!e.closest('.table-responsive, .overflow-auto') || getComputedStyle(e).position === 'absolute'))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`);
    return {
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth,
      navbarHeight: document.querySelector('nav.navbar')?.getBoundingClientRect().height ?? 0,
      tabsHeight: document.querySelector('[data-test-admin-tabs]')?.getBoundingClientRect().height ?? 0,
      wide,
      raw: [...new Set(document.querySelector('main')?.innerText.match(/\b[a-z]+(?:_[a-z]+)+\b|\b[a-z]+[A-Z]\w*:|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g) ?? [])].slice(0, 5),
    };
  });
}

async function visit(page: Page, width: (typeof widths)[number], url: string, label: string, problems: string[]): Promise<void> {
  await page.goto(`${base()}${url}`);
  await page.locator('main h1, main table, main form').first().waitFor();
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(shots, `${width.name}-${label}.png`), fullPage: true });
  const m = await measure(page);
  for (const v of await seriousViolations(page)) problems.push(`${width.name} ${url}: axe ${v.id} (${v.impact}, e.g. ${v.first}): ${v.help}`);
  if (m.scrollWidth > m.innerWidth) problems.push(`${width.name} ${url}: scrollWidth ${m.scrollWidth} > ${m.innerWidth} (${m.wide.join(', ')})`);
  // One line of bar is about 56 px; a wrapped bar is twice that.
  if (width.width >= 1366 && m.navbarHeight > 64) problems.push(`${width.name} ${url}: the top bar wraps (${m.navbarHeight} px)`);
  // One line of tabs is about 42 px.
  if (width.width >= 1366 && m.tabsHeight > 60) problems.push(`${width.name} ${url}: the administration's tabs wrap (${m.tabsHeight} px)`);
  if (m.raw.length) problems.push(`${width.name} ${url}: raw codes, keys or ids on the German page: ${m.raw.join(', ')}`);
}

/**
 * Signs in with the English labels the helpers know, then shows every later page in German (the
 * longer words: what fits in German fits in English).
 */
async function signedIn(width: (typeof widths)[number], signInWith: (page: Page) => Promise<void>): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US', bypassCSP: true, viewport: { width: width.width, height: width.height } });
  const page = await context.newPage();
  await signInWith(page);
  // A string, not a function: tsx would wrap the function's getter in a `__name` helper the page
  // does not have, the script would throw, and every page would silently stay in English.
  await context.addInitScript("Object.defineProperty(navigator, 'languages', { get: () => ['de-DE', 'de'] })");
  return page;
}

async function pathOf(page: Page, selector: string): Promise<string | null> {
  const link = page.locator(selector).first();
  if (!(await link.count())) return null;
  return new URL((await link.getAttribute('href'))!, base()).pathname;
}

describe('the frame fits: laptop and phone widths', () => {
  it('no page of the public, data, admin and platform areas overflows sideways; the bar stays one line on a laptop', async () => {
    const problems: string[] = [];
    for (const width of widths) {
      // bypassCSP lets axe's script in; the CSP itself is asserted in shell.test.ts.
      const context = await browser.newContext({ locale: 'de-DE', bypassCSP: true, viewport: { width: width.width, height: width.height } });
      const page = await context.newPage();
      for (const [url, label] of [['/login', 'login'], ['/recovery', 'recovery'], ['/no-such-page', 'not-found']] as const) await visit(page, width, url, label, problems);

      await context.close();

      const data = await signedIn(width, (p) => signIn(p, analyst, analystPassword));
      await visit(data, width, '/containers', 'containers', problems);
      const container = await pathOf(data, '[data-test-container-row="Demo-Bestand"] a');
      assert.ok(container, 'the demo container (containers.test.ts) is listed');
      await visit(data, width, container, 'container', problems);
      const result = await pathOf(data, '[data-test-open-result]');
      if (result) await visit(data, width, result, 'result', problems);
      for (const [url, label] of [['/', 'home'], ['/templates', 'templates'], ['/sessions', 'sessions'], ['/password', 'password'], ['/security', 'security']] as const) {
        await visit(data, width, url, label, problems);
      }
      await data.context().close();

      // A bank's administrator: the pages a vendor's own tenant does not have (directory, vendor access).
      const bankAdmin = await signedIn(width, (p) => signIn(p, demoAdmin, analystPassword));
      for (const url of ['/admin/users', '/admin/audit', '/admin/settings', '/admin/directory', '/admin/vendor-access', '/admin/approvals', '/admin/recertifications']) {
        await visit(bankAdmin, width, url, `bank-${url.slice(1).replace('/', '-')}`, problems);
      }
      await bankAdmin.context().close();

      const admin = await signedIn(width, (p) => signInSuperadmin(p, superPassword));
      for (const url of ['/admin/users', '/admin/roles', '/admin/audit', '/admin/logins', '/admin/settings', '/platform/tenants', '/platform/users', '/platform/access']) {
        await visit(admin, width, url, url.slice(1).replace('/', '-'), problems);
      }
      if (width.name === 'phone') {
        // The collapsed menu opens below the bar and fits too.
        await admin.locator('[data-test-menu-toggle]').click();
        await admin.locator('#main-menu.show').waitFor();
        await admin.locator('[data-test-account-menu] [data-test-dropdown-toggle]').click();
        await admin.screenshot({ path: path.join(shots, 'phone-menu-open.png'), fullPage: true });
        const m = await measure(admin);
        for (const v of await seriousViolations(admin)) problems.push(`phone menu open: axe ${v.id} (${v.impact}, e.g. ${v.first}): ${v.help}`);
        if (m.scrollWidth > m.innerWidth) problems.push(`phone menu open: scrollWidth ${m.scrollWidth} > ${m.innerWidth} (${m.wide.join(', ')})`);
      } else {
        // The row actions open as a menu that stays inside the window.
        await admin.goto(`${base()}/admin/users`);
        const toggle = admin.locator('[data-test-user-actions] [data-test-dropdown-toggle]').first();
        if (await toggle.count()) {
          await toggle.click();
          await admin.screenshot({ path: path.join(shots, 'laptop-user-actions-open.png') });
          const box = await admin.locator('[data-test-user-actions] .dropdown-menu.show').boundingBox();
          assert.ok(box && box.x >= 0 && box.x + box.width <= width.width, 'the action menu is inside the window');
        }
      }
      await admin.context().close();
    }
    assert.deepEqual(problems, []);
  });

  it('the overflow measure can fail: a too-wide element is caught', async () => {
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await page.goto(`${base()}/login`);
    await page.locator('main h1').waitFor();
    await page.evaluate(() => document.querySelector('main')!.insertAdjacentHTML('beforeend', '<div id="too-wide">x</div>'));
    // Sized through CSSOM: the strict CSP forbids inline style attributes.
    await page.evaluate(() => (document.getElementById('too-wide')!.style.width = '600px'));
    const m = await measure(page);
    assert.ok(m.scrollWidth > m.innerWidth, `scrollWidth ${m.scrollWidth} <= ${m.innerWidth}`);
    await page.context().close();
  });

  it('the raw-text measure can fail: a code, a key and an id on a page are caught', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
    await page.goto(`${base()}/login`);
    await page.locator('main h1').waitFor();
    await page.evaluate(() => document.querySelector('main')!.insertAdjacentHTML('beforeend', '<p>line_too_long durationMs: 721 44dc0718-0424-48da-aa20-4e8761164196</p>'));
    assert.deepEqual((await measure(page)).raw, ['line_too_long', 'durationMs:', '44dc0718-0424-48da-aa20-4e8761164196']);
    await page.context().close();
  });

  it('a visually hidden header at the far end of a wide scrolling table does not widen the page', async () => {
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await page.goto(`${base()}/login`);
    await page.locator('main h1').waitFor();
    await page.evaluate(() => {
      document.querySelector('main')!.insertAdjacentHTML('beforeend', '<div class="table-responsive"><table class="table"><tr><th id="wide-cell">x</th><th><span class="visually-hidden">Aktionen</span></th></tr></table></div>');
      document.getElementById('wide-cell')!.style.minWidth = '700px';
    });
    const m = await measure(page);
    assert.ok(m.scrollWidth <= m.innerWidth, `scrollWidth ${m.scrollWidth} > ${m.innerWidth} (${m.wide.join(', ')})`);
    await page.context().close();
  });
});
