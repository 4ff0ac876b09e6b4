import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../lib/browser.js';
import { acceptInvitation } from '../lib/invitation.js';
import { atPath, newPage, signIn } from '../lib/pages.js';
import { signInSuperadmin } from '../lib/superadmin.js';

/**
 * Four-eyes (issue 17 item 2) through the browser: a bank with two admins; admin A changes a
 * security setting giving a reason, the change waits and A cannot approve it; admin B sees the
 * badge, approves, and the setting applies; the audit log shows it proposed and approved.
 */
const base = process.env.E2E_BASE_URL!;
const mailDir = process.env.E2E_MAIL_DIR!;
const superPassword = 'Mandantenpflege sicher 2026';
const wait = { timeout: 30_000 };
let browser: Browser;

before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser.close();
});

async function idleMinutes(p: Page): Promise<string> {
  await p.locator('[data-test-idle]').waitFor(wait);
  return p.locator('[data-test-idle]').inputValue();
}

/** The settings form shows `value` as the idle timeout (polled: the form reloads after a save). */
async function showsIdle(p: Page, value: string): Promise<void> {
  await p.waitForFunction((v) => document.querySelector<HTMLInputElement>('[data-test-idle]')?.value === v, value, wait)
    .catch(async (err: unknown) => assert.fail(`idle minutes ${await idleMinutes(p)}, expected ${value}: ${String(err)}`));
}

describe('four-eyes', () => {
  it('a security setting changed by one admin applies only once a second admin approves it', async () => {
    const bankName = 'Sparkasse Vieraugen';
    const sa = await newPage(browser);
    await signInSuperadmin(sa, superPassword);
    await sa.getByRole('link', { name: 'Platform' }).click();
    await atPath(sa, '/platform/tenants');
    await sa.getByLabel('Name', { exact: true }).fill(bankName);
    await sa.getByLabel('Name of its first administrator').fill('Anna Erste');
    await sa.getByLabel('Email of its first administrator').fill('anna@vieraugen.example');
    await sa.locator('[data-test-create-tenant-submit]').click();
    await sa.locator(`[data-test-tenant-row="${bankName}"]`).waitFor(wait);
    await sa.context().close();

    // Admin A invites admin B: with nobody else to approve yet, that applies at once.
    const anna = await newPage(browser);
    await acceptInvitation(anna, mailDir, 'anna@vieraugen.example', 'Zwei Augen sehen mehr 2026');
    await signIn(anna, 'anna@vieraugen.example', 'Zwei Augen sehen mehr 2026');
    await anna.locator('[data-test-nav-admin]').click();
    await atPath(anna, '/admin/users');
    await anna.getByLabel('Name', { exact: true }).fill('Bernd Zweiter');
    await anna.getByLabel('Email', { exact: true }).fill('bernd@vieraugen.example');
    await anna.locator('[data-test-invite-roles] [data-test-role-choice="Tenant admin"]').check();
    await anna.locator('[data-test-invite]').click();
    await anna.locator('[data-test-user-row="bernd@vieraugen.example"]').waitFor(wait);
    const bernd = await newPage(browser);
    await acceptInvitation(bernd, mailDir, 'bernd@vieraugen.example', 'Vier Augen pruefen 2026');
    await signIn(bernd, 'bernd@vieraugen.example', 'Vier Augen pruefen 2026');

    // A proposes a shorter idle timeout with a reason: it waits, the form keeps the value in force.
    await anna.locator('[data-test-tab-settings]').click();
    await atPath(anna, '/admin/settings');
    const before = await idleMinutes(anna);
    assert.notEqual(before, '17');
    await anna.locator('[data-test-idle]').fill('17');
    await anna.locator('[data-test-settings-reason]').fill('Revision 2026: kürzere Sitzungen am Schalter');
    await anna.locator('[data-test-settings-save]').click();
    await anna.locator('[data-test-settings-pending]').waitFor(wait);
    await showsIdle(anna, before);

    // A sees the change pending, without a button to approve it; the API refuses A too.
    await anna.locator('[data-test-tab-approvals]').click();
    await atPath(anna, '/admin/approvals');
    const mine = anna.locator('[data-test-approval]');
    await mine.waitFor(wait);
    assert.equal(await mine.count(), 1);
    assert.match((await mine.textContent()) ?? '', /kürzere Sitzungen am Schalter/);
    assert.match((await mine.textContent()) ?? '', /Idle limit: \d+ → 17/, 'the setting by its name, not its key');
    assert.equal(await mine.locator('[data-test-approve]').count(), 0, 'the proposer has no approve button');
    const approvalId = (await mine.getAttribute('data-test-approval'))!;
    const own = await anna.evaluate(async (id) => {
      const res = await fetch(`/api/approvals/${id}/approve`, { method: 'POST', headers: { 'X-Requested-With': 'kontor' } });
      return { status: res.status, code: ((await res.json()) as { error?: { code?: string } }).error?.code };
    }, approvalId);
    assert.deepEqual(own, { status: 403, code: 'approval_own_change' });
    await anna.reload();
    await anna.locator(`[data-test-approval="${approvalId}"] [data-test-approval-status]`).filter({ hasText: 'pending' }).waitFor(wait);

    // B sees the badge and the pending change, and approves it.
    await bernd.locator('[data-test-nav-admin]').click();
    await bernd.locator('[data-test-approvals-badge]').filter({ hasText: '1' }).waitFor(wait);
    await bernd.locator('[data-test-tab-approvals]').click();
    await atPath(bernd, '/admin/approvals');
    const theirs = bernd.locator(`[data-test-approval="${approvalId}"]`);
    await theirs.locator('[data-test-approve]').click(wait);
    await theirs.locator('[data-test-approval-status]').filter({ hasText: 'approved and applied' }).waitFor(wait);
    assert.equal(await theirs.locator('[data-test-approve]').count(), 0);
    await bernd.reload();
    await theirs.locator('[data-test-approval-status]').filter({ hasText: 'approved and applied' }).waitFor(wait);
    assert.equal(await bernd.locator('[data-test-approvals-badge]').count(), 0, 'nothing waits for B any more');

    // The setting is in force, for A as well.
    await bernd.locator('[data-test-tab-settings]').click();
    await atPath(bernd, '/admin/settings');
    await showsIdle(bernd, '17');
    await anna.goto(`${base}/admin/settings`);
    await showsIdle(anna, '17');

    // The audit log has the proposal, the approval and the change itself.
    await bernd.locator('[data-test-tab-audit]').click();
    await atPath(bernd, '/admin/audit');
    for (const type of ['approval.proposed', 'approval.approved', 'settings.changed']) {
      await bernd.locator(`[data-test-audit-row="${type}"]`).first().waitFor(wait);
    }

    // The passkey rule is a four-eyes setting too: A's switch waits, B rejects it, nothing changed.
    await anna.locator('[data-test-tab-settings]').click();
    await atPath(anna, '/admin/settings');
    const passkey = anna.getByLabel('Require a passkey of administrators');
    assert.equal(await passkey.isChecked(), false);
    await passkey.check();
    await anna.locator('[data-test-passkey-self-warning]').waitFor(wait);
    await anna.locator('[data-test-settings-reason]').fill('Phishing-resistente Anmeldung für Admins');
    await anna.locator('[data-test-settings-save]').click();
    await anna.locator('[data-test-settings-pending]').waitFor(wait);
    assert.equal(await passkey.isChecked(), false, 'not in force before a second admin approves');
    await bernd.locator('[data-test-tab-approvals]').click();
    await atPath(bernd, '/admin/approvals');
    const rule = bernd.locator('[data-test-approval]', { hasText: 'Passkey required: no → yes' });
    await rule.locator('[data-test-reject]').click(wait);
    await rule.locator('[data-test-approval-status]').filter({ hasText: 'rejected' }).waitFor(wait);
    await anna.reload();
    await anna.locator('[data-test-passkey-required]').waitFor(wait);
    assert.equal(await anna.locator('[data-test-passkey-required]').isChecked(), false);
    for (const p of [anna, bernd]) await p.context().close();
  });
});
