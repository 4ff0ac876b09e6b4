import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../lib/browser.js';
import { waitForMail } from '../lib/mail-drop.js';
import { atPath, newPage, signIn } from '../lib/pages.js';
import { signInSuperadmin } from '../lib/superadmin.js';

/**
 * Departments (issue 18) through the browser: one bank, two departments, an analyst in each.
 * Each analyst sees only their department's containers on the page, and a direct API call with
 * their session to the other department's container (read, import, calculate, export) answers
 * 404, exactly as for another bank. Runs after sign-in.test (it reuses the superadmin).
 */
const base = process.env.E2E_BASE_URL!;
const mailDir = process.env.E2E_MAIL_DIR!;
const superPassword = 'Mandantenpflege sicher 2026';
const wait = { timeout: 30_000 };
const csv = 'group_id;kind;customer_type;branch;postcode;age;industry;turnover;rating;negative_flag;online_logins_12m\n'
  + 'G001;PK;100;0815;12345;45;;;;0;12\nG002;FK;400;0815;54321;-1;49.41;1234567,89;7;0;0\n';
let browser: Browser;

before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser.close();
});

async function acceptInvitation(p: Page, email: string, password: string): Promise<void> {
  const mail = await waitForMail(mailDir, (m) => m.to.includes(email) && /invitation\//.test(m.text));
  const link = /(http\S+\/invitation\/\S+)/.exec(mail.text)![1];
  await p.goto(link.replace(/^https?:\/\/[^/]+/, base));
  await p.getByLabel('New password', { exact: true }).fill(password);
  await p.getByLabel('Repeat new password').fill(password);
  await p.getByRole('button', { name: 'Set password' }).click();
  await atPath(p, '/login');
}

/** A request with the page's own session (its cookie), as a script in the signed-in tab could send it. */
interface Answer {
  status: number;
  body: { id?: string; status?: string } | string;
}

async function call(p: Page, method: string, path: string, body?: string, type = 'application/json'): Promise<Answer> {
  return p.evaluate(async ({ method, path, body, type }) => {
    const res = await fetch(`/api${path}`, { method, headers: { 'X-Requested-With': 'kontor', ...(body === undefined ? {} : { 'content-type': type }) }, body });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as { id?: string; status?: string } };
    } catch {
      return { status: res.status, body: text };
    }
  }, { method, path, body, type });
}

async function invite(admin: Page, name: string, email: string, department: string): Promise<void> {
  await admin.locator('#invite-name').fill(name);
  await admin.locator('#invite-email').fill(email);
  await admin.locator('[data-test-invite-roles] [data-test-role-choice="Analyst"]').check();
  await admin.locator(`[data-test-invite-departments] [data-test-role-choice="${department}"]`).check();
  await admin.locator('[data-test-invite]').click();
  await admin.locator(`[data-test-user-row="${email}"]`).waitFor(wait);
}

/** Signs the analyst in, creates a container on the containers page, and returns its id. */
async function analystWithContainer(email: string, password: string, container: string): Promise<{ page: Page; id: string }> {
  const page = await newPage(browser);
  await acceptInvitation(page, email, password);
  await signIn(page, email, password);
  await page.getByRole('navigation', { name: 'Kontor' }).getByRole('link', { name: 'Data containers' }).click();
  await atPath(page, '/containers');
  await page.locator('#container-name').fill(container);
  await page.locator('[data-test-create-container-submit]').click();
  await page.locator('[data-test-container-name]').waitFor(wait);
  const id = /\/containers\/([0-9a-f-]{36})/.exec(page.url())?.[1];
  assert.ok(id, `the new container's page: ${page.url()}`);
  return { page, id };
}

function idOf(a: Answer): string {
  assert.ok(typeof a.body !== 'string' && a.body.id, JSON.stringify(a.body));
  return a.body.id;
}

describe('departments in the browser', () => {
  it('two analysts of one bank in different departments see only their own containers, and the API answers 404 for the other’s', async () => {
    const bankName = 'Sparkasse Bereiche';
    const sa = await newPage(browser);
    await signInSuperadmin(sa, superPassword);
    await sa.getByRole('link', { name: 'Platform' }).click();
    await atPath(sa, '/platform/tenants');
    await sa.getByLabel('Name', { exact: true }).fill(bankName);
    await sa.getByLabel('Name of its first administrator').fill('Dora Admin');
    await sa.getByLabel('Email of its first administrator').fill('dora@bereiche.example');
    await sa.locator('#t-mod-leasing').check();
    await sa.locator('[data-test-create-tenant-submit]').click();
    await sa.locator(`[data-test-tenant-row="${bankName}"]`).waitFor(wait);
    await sa.context().close();

    // The admin adds a second department next to the Gesamthaus and invites one analyst into each.
    const dora = await newPage(browser);
    await acceptInvitation(dora, 'dora@bereiche.example', 'Bereiche trennen 2026');
    await signIn(dora, 'dora@bereiche.example', 'Bereiche trennen 2026');
    await dora.locator('[data-test-nav-admin]').click();
    await atPath(dora, '/admin/users');
    await dora.getByLabel('Department name').fill('Firmenkunden');
    await dora.locator('[data-test-create-department] button[type="submit"]').click();
    await dora.locator('[data-test-department-row="Firmenkunden"]').waitFor(wait);
    await invite(dora, 'Paula Privat', 'paula@bereiche.example', 'Gesamthaus');
    await invite(dora, 'Fritz Firma', 'fritz@bereiche.example', 'Firmenkunden');
    await dora.context().close();

    const paula = await analystWithContainer('paula@bereiche.example', 'Privatkunden zuerst 2026', 'Privat 2026');
    const fritz = await analystWithContainer('fritz@bereiche.example', 'Firmenkunden zuerst 2026', 'Leasing-Kampagne');

    // Fritz fills his container and starts a run on it.
    const imported = await call(fritz.page, 'POST', `/containers/${fritz.id}/imports/customer_groups`, csv, 'text/csv');
    assert.equal(imported.status, 202, JSON.stringify(imported.body));
    const importId = idOf(imported);
    let status: string | undefined = '';
    for (let i = 0; i < 120 && status !== 'succeeded' && status !== 'failed'; i++) {
      const seen = (await call(fritz.page, 'GET', `/imports/${importId}`)).body;
      status = typeof seen === 'string' ? undefined : seen.status;
      if (status !== 'succeeded') await fritz.page.waitForTimeout(250);
    }
    assert.equal(status, 'succeeded');
    const run = await call(fritz.page, 'POST', '/calculations', JSON.stringify({ containerId: fritz.id, kind: 'leasing' }));
    assert.equal(run.status, 202, JSON.stringify(run.body));

    // In the browser, each sees their own container only.
    for (const [who, own, other] of [[paula, 'Privat 2026', 'Leasing-Kampagne'], [fritz, 'Leasing-Kampagne', 'Privat 2026']] as const) {
      await who.page.goto(`${base}/containers`);
      await who.page.locator(`[data-test-container-row="${own}"]`).waitFor(wait);
      assert.equal(await who.page.locator(`[data-test-container-row="${other}"]`).count(), 0, `${own}: no ${other}`);
      assert.equal(await who.page.locator('[data-test-container-row]').count(), 1);
    }

    // Direct API calls with the analyst's session: read, import, calculate, export answer 404.
    const runId = idOf(run);
    const refused: [Page, string, string, string | undefined, string?][] = [
      [paula.page, 'GET', `/containers/${fritz.id}`, undefined],
      [paula.page, 'POST', `/containers/${fritz.id}/imports/customer_groups`, csv, 'text/csv'],
      [paula.page, 'POST', '/calculations', JSON.stringify({ containerId: fritz.id, kind: 'leasing' })],
      [paula.page, 'GET', `/calculations/${runId}`, undefined],
      [paula.page, 'GET', `/calculations/${runId}/export.csv`, undefined],
      [fritz.page, 'GET', `/containers/${paula.id}`, undefined],
      [fritz.page, 'POST', `/containers/${paula.id}/imports/customer_groups`, csv, 'text/csv'],
      [fritz.page, 'POST', '/calculations', JSON.stringify({ containerId: paula.id, kind: 'leasing' })],
    ];
    for (const [page, method, path, body, type] of refused) {
      const res = await call(page, method, path, body, type);
      assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    // The owner does reach them (so the 404s are not a broken route).
    assert.equal((await call(fritz.page, 'GET', `/containers/${fritz.id}`)).status, 200);
    assert.equal((await call(paula.page, 'GET', `/containers/${paula.id}`)).status, 200);
    for (const p of [paula.page, fritz.page]) await p.context().close();
  });
});
