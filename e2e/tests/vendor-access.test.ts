import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Knex } from 'knex';
import { launchChromium } from '../lib/browser.js';
import { ownerDatabase } from '../lib/database.js';
import { waitForMail } from '../lib/mail-drop.js';
import { acceptInvitation } from '../lib/invitation.js';
import { atPath, newPage, signIn } from '../lib/pages.js';
import { signInSuperadmin } from '../lib/superadmin.js';

/**
 * Vendor access (issue 17 item 1) through the browser: a support user asks a bank in `approval`
 * mode, its admin approves, the support user works in the bank, the window ends and the session
 * with it; the bank's page shows the visit and what was done. The window's end is driven by moving
 * its stored end to "now + 2 s" (the shortest real window is 15 minutes; the server has no clock to move).
 */
const mailDir = process.env.E2E_MAIL_DIR!;
const superPassword = 'Mandantenpflege sicher 2026';
let browser: Browser;
let db: Knex;

before(async () => {
  browser = await launchChromium();
  db = await ownerDatabase();
});
after(async () => {
  await db.destroy();
  await browser.close();
});

describe('vendor access requests', () => {
  it('request, approval, access, and the end of the window, seen by both sides', async () => {
    const bankName = 'Sparkasse Riegel';
    const sa = await newPage(browser);
    await signInSuperadmin(sa, superPassword);
    await sa.getByRole('link', { name: 'Platform' }).click();
    await atPath(sa, '/platform/tenants');
    await sa.getByLabel('Name', { exact: true }).fill(bankName);
    await sa.getByLabel('Name of its first administrator').fill('Rita Admin');
    await sa.getByLabel('Email of its first administrator').fill('rita@riegel.example');
    await sa.locator('[data-test-create-tenant-submit]').click();
    await sa.locator(`[data-test-tenant-row="${bankName}"]`).waitFor();
    await sa.locator('[data-test-tab-vendor-users]').click();
    await atPath(sa, '/platform/users');
    await sa.getByLabel('Name', { exact: true }).fill('Vera Support');
    await sa.getByLabel('Email', { exact: true }).fill('vera@kontor.example');
    await sa.locator('#v-role').selectOption({ label: 'Support' });
    await sa.getByRole('button', { name: 'Invite' }).click();
    const row = sa.locator('[data-test-vendor-user="vera@kontor.example"]');
    await row.waitFor();
    await row.locator('[data-test-grant-tenant]').selectOption({ label: bankName });
    await row.locator('[data-test-grant]').click();
    await row.getByText(bankName, { exact: true }).first().waitFor();
    await sa.context().close();

    const rita = await newPage(browser);
    await acceptInvitation(rita, mailDir, 'rita@riegel.example', 'Riegel vor die Tuer 2026');
    await signIn(rita, 'rita@riegel.example', 'Riegel vor die Tuer 2026');
    const vera = await newPage(browser);
    await acceptInvitation(vera, mailDir, 'vera@kontor.example', 'Hilfe nur mit Freigabe 7');
    await signIn(vera, 'vera@kontor.example', 'Hilfe nur mit Freigabe 7');

    // A new bank is in `approval`: the switch is refused, and the switcher points to the request form.
    const account = vera.locator('[data-test-account-menu] [data-test-dropdown-toggle]');
    await account.click();
    await vera.locator('[data-test-tenant-switcher]').selectOption({ label: bankName });
    await vera.locator('[data-test-switch-error]').waitFor();
    assert.match((await vera.locator('[data-test-switch-error]').textContent()) ?? '', /has not approved your access/);
    await vera.locator('[data-test-ask-access]').click();
    await atPath(vera, '/platform/access');
    await vera.getByLabel('Bank', { exact: true }).selectOption({ label: bankName });
    await vera.getByLabel('Reason').fill('Ticket 815: the products import stops at line 12');
    await vera.getByLabel('Ticket reference (optional)').fill('INC-815');
    await vera.getByLabel('Duration').selectOption({ label: '15 minutes' });
    await vera.locator('[data-test-access-submit]').click();
    await vera.locator('[data-test-access-waiting]').waitFor();

    // The bank's admin is mailed, sees the badge, and approves on "Vendor access".
    await waitForMail(mailDir, (m) => m.to.includes('rita@riegel.example') && /asks for access|bittet um Zugriff/.test(m.subject));
    await rita.reload();
    await rita.locator('[data-test-nav-pending]').filter({ hasText: '1' }).waitFor();
    await rita.locator('[data-test-nav-admin]').click();
    await rita.locator('[data-test-tab-vendor-access]').click();
    await atPath(rita, '/admin/vendor-access');
    const pending = rita.locator('[data-test-access-request="pending"]');
    await pending.waitFor();
    assert.match((await pending.textContent()) ?? '', /products import stops at line 12/);
    await pending.locator('[data-test-access-action="approve"]').click();
    await rita.locator('[data-test-access-request="active"]').waitFor();
    await rita.locator('[data-test-nav-pending]').waitFor({ state: 'detached' });

    // The vendor sees the approval and switches in; inside the window the bank's pages answer.
    await vera.locator('[data-test-access-check]').click();
    await vera.locator('[data-test-access-request="active"] [data-test-access-action="switch"]').click();
    await account.filter({ hasText: bankName }).waitFor();
    await vera.locator('[data-test-nav-containers]').click();
    await atPath(vera, '/containers');

    // The window ends: the next request of that session is refused and the SPA returns to sign-in.
    const { id } = (await db('access_requests').where({ status: 'approved' }).orderBy('created_at', 'desc').first<{ id: string }>('id'));
    await db('access_requests').where({ id }).update({ ends_at: db.raw("now() + interval '2 seconds'") });
    await new Promise((r) => setTimeout(r, 2500));
    const status = await vera.evaluate(async () => {
      const res = await fetch('/api/containers');
      return { status: res.status, body: (await res.json()) as { error: { code: string; reason?: string } } };
    });
    assert.equal(status.status, 401);
    assert.deepEqual([status.body.error.code, status.body.error.reason], ['session_expired', 'access_ended']);
    await vera.reload();
    await atPath(vera, '/login');

    // The bank's page keeps the visit, with what was done in it.
    await rita.reload();
    const past = rita.locator(`[data-test-access-request-id="${id}"]`);
    await past.locator('[data-test-access-state]').filter({ hasText: 'over' }).waitFor();
    await past.locator('[data-test-access-events] summary').click();
    await past.locator('[data-test-access-event="auth.tenant_switch_in"]').waitFor();
    for (const p of [rita, vera]) await p.context().close();
  });
});
