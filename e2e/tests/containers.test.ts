import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../lib/browser.js';
import { kontorCli } from '../lib/cli.js';
import { mailCount, waitForMail } from '../lib/mail-drop.js';
import { atPath, base, newPage, signIn } from '../lib/pages.js';
import { violationsOn } from '../lib/axe.js';

const mailDir = process.env.E2E_MAIL_DIR!;
const analyst = 'demo-analyst@sparkasse-musterstadt.example';
const password = 'Bestandsdaten sauber 2026';
let browser: Browser;
let dataDir: string;

before(async () => {
  browser = await launchChromium();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-e2e-data-'));
  assert.match(kontorCli('generate', '--groups', '40000', '--seed', '11', '--out', dataDir), /Wrote 40000 customer groups/);
  fs.writeFileSync(path.join(dataDir, 'products-broken.csv'), 'group_id;product_group;balance;balance_avg;count\nKV00000001;GIRO;1;1;1\nNOPE;GIRO;1;1;1\nKV00000002;CAR;1;1;1\n');
});
after(async () => {
  await browser.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function acceptDemoInvitation(p: Page): Promise<void> {
  const before = mailCount(mailDir);
  assert.match(kontorCli('demo', '--groups', '200'), /Demo bank .* created|exists already/);
  const mail = await waitForMail(mailDir, (m) => m.to.includes(analyst) && /invitation\//.test(m.text), Math.max(0, before - 1) && before);
  const link = /(http\S+\/invitation\/\S+)/.exec(mail.text)![1];
  await p.goto(link.replace(/^https?:\/\/[^/]+/, base()));
  await p.getByLabel('New password', { exact: true }).fill(password);
  await p.getByLabel('Repeat new password').fill(password);
  await p.getByRole('button', { name: 'Set password' }).click();
  await atPath(p, '/login');
}

async function uploadInto(p: Page, kind: string, file: string): Promise<void> {
  const slot = p.locator(`[data-test-import-slot="${kind}"]`);
  await slot.locator('[data-test-file]').setInputFiles(path.join(dataDir, file));
  await slot.locator('[data-test-upload]').click();
}

describe('data containers in the browser', () => {
  it('an analyst imports the three generated files and watches the progress bar reach 100 %', async () => {
    const p = await newPage(browser);
    await acceptDemoInvitation(p);
    await signIn(p, analyst, password);
    await p.getByRole('navigation', { name: 'Kontor' }).getByRole('link', { name: 'Data containers' }).click();
    await atPath(p, '/containers');
    await p.locator('[data-test-container-row="Demo-Bestand"]').waitFor();
    await p.getByLabel('Name').fill('Stichtag 30.09.2026');
    await p.locator('[data-test-create-container-submit]').click();
    // Creating a container opens it.
    await p.locator('[data-test-container-name]').waitFor();
    assert.equal(await p.locator('[data-test-import-slot="products"] [data-test-file]').isDisabled(), true, 'products wait for customer groups');

    // Record every value the progress bar shows, to prove it moved and ended at 100.
    await p.evaluate(() => {
      (window as unknown as { seen: string[] }).seen = [];
      new MutationObserver(() => {
        const bar = document.querySelector('[data-test-progress]');
        if (bar) (window as unknown as { seen: string[] }).seen.push(bar.getAttribute('aria-valuenow') ?? '');
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
    });
    await uploadInto(p, 'customer_groups', 'customer_groups.csv');
    await p.locator('[data-test-import-slot="customer_groups"] [data-test-import-succeeded]').waitFor({ timeout: 60_000 });
    const seen = await p.evaluate(() => (window as unknown as { seen: string[] }).seen);
    assert.ok(seen.length > 0, 'a progress bar was shown');
    assert.ok(seen.includes('100'), `progress reached 100 (saw ${[...new Set(seen)].join(',')})`);
    assert.match((await p.locator('[data-test-import-slot="customer_groups"] [data-test-import-succeeded]').textContent()) ?? '', /40,000 rows/);

    await uploadInto(p, 'products', 'products.csv');
    await p.locator('[data-test-import-slot="products"] [data-test-import-succeeded]').waitFor({ timeout: 60_000 });
    await uploadInto(p, 'payments', 'payments.csv');
    await p.locator('[data-test-import-slot="payments"] [data-test-import-succeeded]').waitFor({ timeout: 60_000 });

    await uploadInto(p, 'products', 'products-broken.csv');
    const errors = p.locator('[data-test-import-slot="products"] [data-test-import-errors] tbody tr');
    await errors.first().waitFor({ timeout: 30_000 });
    const rows = await errors.allTextContents();
    assert.equal(rows.length, 2);
    assert.match(rows[0], /^3\s*group_id\s*The group \S+ is not among/);
    assert.match(rows[1], /^4\s*product_group\s*.*must be one of/);
    assert.deepEqual(await errors.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-test-error-code'))), ['unknown_group', 'invalid_value'], 'the code only for support, not as text');
    assert.match((await p.locator('[data-test-import-slot="products"] [data-test-import-failed]').textContent()) ?? '', /Nothing was changed/);
    const containerPath = await p.evaluate(() => location.pathname);
    await p.context().close();

    // Accessibility of the data pages, error table included (axe needs the CSP bypassed to load).
    assert.deepEqual(await violationsOn(browser, analyst, password, ['/containers', containerPath]), []);
  });

  it('an analyst runs both calculations on the demo container, sees the charts and downloads the CSV', async () => {
    const p = await newPage(browser);
    const cspViolations: string[] = [];
    p.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await signIn(p, analyst, password);
    await p.getByRole('navigation', { name: 'Kontor' }).getByRole('link', { name: 'Data containers' }).click();
    await p.getByRole('link', { name: 'Demo-Bestand' }).click();
    await p.locator('[data-test-calculations]').waitFor();

    const runs = p.locator('[data-test-open-result]');
    const before = await runs.count();
    await p.locator('[data-test-kind]').selectOption('segmentation');
    await p.locator('[data-test-template]').selectOption({ label: 'Privatkunden (Standard)' });
    await p.locator('[data-test-start]').click();
    await runs.nth(before).waitFor({ timeout: 60_000 });
    await p.locator('[data-test-kind]').selectOption('leasing');
    await p.locator('[data-test-start]').click();
    await runs.nth(before + 1).waitFor({ timeout: 60_000 });

    // Newest first: the leasing run, then the segmentation.
    await runs.nth(1).click();
    await p.locator('[data-test-result-title]').waitFor();
    assert.match((await p.locator('[data-test-result-title]').textContent()) ?? '', /Segmentation · Privatkunden \(Standard\)/);
    await p.locator('[data-test-charts] canvas').nth(1).waitFor();
    assert.ok(await drawn(p, 0), 'the segment chart has been drawn');
    assert.ok((await p.locator('[data-test-segments] tbody tr').count()) >= 2);

    await p.goBack();
    await runs.first().click();
    await p.locator('[data-test-leasing-total]').waitFor();
    assert.equal(await p.locator('[data-test-charts] canvas').count(), 4);
    assert.ok(await drawn(p, 0), 'the histogram has been drawn');
    const [download] = await Promise.all([p.waitForEvent('download'), p.locator('[data-test-download]').click()]);
    const csv = fs.readFileSync((await download.path()), 'utf8').trimEnd().split('\n');
    assert.equal(csv[0], 'group_id;score;class;potential');
    assert.ok(csv.length > 1, 'the demo bank has eligible business customers');
    for (const line of csv.slice(1)) assert.match(line, /^[A-Za-z0-9_-]+;\d{1,3};[ABCD];\d+$/);
    // "für Excel": the same data with a BOM, named like the byte-exact file (no raw id in the name).
    const [excel] = await Promise.all([p.waitForEvent('download'), p.locator('[data-test-download-excel]').click()]);
    assert.match(excel.suggestedFilename(), /^leasing-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}-excel\.csv$/);
    assert.equal(download.suggestedFilename().replace(/\.csv$/, '-excel.csv'), excel.suggestedFilename());
    assert.equal(fs.readFileSync(await excel.path()).subarray(0, 3).toString('hex'), 'efbbbf');
    assert.deepEqual(cspViolations, [], 'the charts work under the strict CSP');

    const resultPath = await p.evaluate(() => location.pathname);
    await p.context().close();
    assert.deepEqual(await violationsOn(browser, analyst, password, [resultPath, '/templates']), []);
  });
});

/** Whether the n-th chart canvas holds any painted pixel. */
async function drawn(p: Page, n: number): Promise<boolean> {
  return p.locator('[data-test-charts] canvas').nth(n).evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
    return false;
  });
}
