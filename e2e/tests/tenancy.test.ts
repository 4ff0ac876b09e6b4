import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../lib/browser.js';
import { ownerDatabase, setAccessMode } from '../lib/database.js';
import { acceptInvitation } from '../lib/invitation.js';
import { atPath, newPage, signIn } from '../lib/pages.js';
import { signInSuperadmin } from '../lib/superadmin.js';

/** Self-contained: it gets the superadmin in whatever state another suite left it (recovery by code). */
const base = process.env.E2E_BASE_URL!;
const mailDir = process.env.E2E_MAIL_DIR!;
const superPassword = 'Mandantenpflege sicher 2026';
let browser: Browser;

before(async () => {
  browser = await launchChromium();
});
after(async () => browser.close());

const page = () => newPage(browser);

async function superadminPage(): Promise<Page> {
  const p = await page();
  await signInSuperadmin(p, superPassword);
  return p;
}

describe('banks, admins and vendor support', () => {
  it('superadmin creates a bank; its admin accepts the mailed link and invites an analyst, who sees only what the role allows', async () => {
    const sa = await superadminPage();
    await sa.getByRole('link', { name: 'Platform' }).click();
    await atPath(sa, '/platform/tenants');
    await sa.getByLabel('Name', { exact: true }).fill('Sparkasse Nordheide');
    await sa.getByLabel('Name of its first administrator').fill('Nora Admin');
    await sa.getByLabel('Email of its first administrator').fill('nora@nordheide.example');
    await sa.locator('[data-test-create-tenant-submit]').click();
    await sa.locator('[data-test-tenant-row="Sparkasse Nordheide"]').waitFor();

    const nora = await page();
    await acceptInvitation(nora, mailDir, 'nora@nordheide.example', 'Sichere Passphrase Nord 1');
    await signIn(nora, 'nora@nordheide.example', 'Sichere Passphrase Nord 1');
    await nora.getByRole('link', { name: 'Administration' }).click();
    await atPath(nora, '/admin/users');
    await nora.getByLabel('Name', { exact: true }).fill('Anton Analyst');
    await nora.getByLabel('Email', { exact: true }).fill('anton@nordheide.example');
    await nora.locator('[data-test-invite-roles]').getByLabel('Analyst', { exact: true }).check();
    await nora.locator('[data-test-invite]').click();
    await nora.locator('[data-test-user-row="anton@nordheide.example"]').waitFor();
    assert.match((await nora.locator('[data-test-user-row="anton@nordheide.example"]').textContent()) ?? '', /Analyst/);

    const anton = await page();
    await acceptInvitation(anton, mailDir, 'anton@nordheide.example', 'Kundenanalyse ist fein 7');
    await signIn(anton, 'anton@nordheide.example', 'Kundenanalyse ist fein 7');
    assert.equal(await anton.locator('[data-test-nav-admin]').count(), 0, 'no administration for an analyst');
    assert.equal(await anton.locator('[data-test-nav-platform]').count(), 0);
    await anton.goto(`${base}/admin/users`);
    await atPath(anton, '/');
    const api = await anton.evaluate(async () => (await fetch('/api/users')).status);
    assert.equal(api, 403, 'the backend decides, not the menu');

    await nora.getByRole('link', { name: 'Audit log' }).click();
    await nora.locator('[data-test-audit-row="user.invited"]').first().waitFor();
    await nora.locator('[data-test-audit-row="access.denied"]').first().waitFor();
    for (const p of [sa, nora, anton]) await p.context().close();
  });

  it('a support user with grants switches between two banks', async () => {
    const sa = await superadminPage();
    await sa.getByRole('link', { name: 'Platform' }).click();
    for (const [name, email] of [['Sparkasse Ostufer', 'olga@ostufer.example'], ['Sparkasse Westtal', 'willi@westtal.example']] as const) {
      await sa.getByLabel('Name', { exact: true }).fill(name);
      await sa.getByLabel('Name of its first administrator').fill('Admin');
      await sa.getByLabel('Email of its first administrator').fill(email);
      await sa.locator('[data-test-create-tenant-submit]').click();
      await sa.locator(`[data-test-tenant-row="${name}"]`).waitFor();
    }
    // New banks start in `approval` (issue 17); these two stand for the vendor's own test banks, which are `open`.
    const db = await ownerDatabase();
    for (const name of ['Sparkasse Ostufer', 'Sparkasse Westtal']) await setAccessMode(db, name, 'open');
    await db.destroy();
    await sa.locator('[data-test-tab-vendor-users]').click();
    await atPath(sa, '/platform/users');
    await sa.getByLabel('Name', { exact: true }).fill('Sven Support');
    await sa.getByLabel('Email', { exact: true }).fill('sven@kontor.example');
    await sa.locator('#v-role').selectOption({ label: 'Support' });
    await sa.getByRole('button', { name: 'Invite' }).click();
    const row = sa.locator('[data-test-vendor-user="sven@kontor.example"]');
    await row.waitFor();
    for (const bank of ['Sparkasse Ostufer', 'Sparkasse Westtal']) {
      await row.locator('[data-test-grant-tenant]').selectOption({ label: bank });
      await row.locator('[data-test-grant]').click();
      await row.getByText(bank, { exact: true }).first().waitFor();
    }

    const sven = await page();
    await acceptInvitation(sven, mailDir, 'sven@kontor.example', 'Hilfe fuer Banken 2026');
    await signIn(sven, 'sven@kontor.example', 'Hilfe fuer Banken 2026');
    // The bank switcher and the current bank are in the account menu.
    const account = sven.locator('[data-test-account-menu] [data-test-dropdown-toggle]');
    const switcher = sven.locator('[data-test-tenant-switcher]');
    await account.click();
    await switcher.selectOption({ label: 'Sparkasse Ostufer' });
    await account.filter({ hasText: 'Sparkasse Ostufer' }).waitFor();
    if ((await account.getAttribute('aria-expanded')) !== 'true') await account.click();
    await switcher.selectOption({ label: 'Sparkasse Westtal' });
    await account.filter({ hasText: 'Sparkasse Westtal' }).waitFor();
    const sessions = await sven.evaluate(async () => (await (await fetch('/api/auth/sessions')).json()) as unknown[]);
    assert.equal(sessions.length, 1, 'each switch replaced the session');
    for (const p of [sa, sven]) await p.context().close();
  });
});
