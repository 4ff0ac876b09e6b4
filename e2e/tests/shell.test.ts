import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../lib/browser.js';

const base = process.env.E2E_BASE_URL!;
let browser: Browser;

/** The raw header lines of a response (fetch joins repeated headers into one value, hiding duplicates). */
function rawHeaders(url: string): Promise<[string, string][]> {
  return new Promise((resolve, reject) => {
    https.get(url, (res) => {
      res.resume();
      const pairs: [string, string][] = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
      res.on('end', () => resolve(pairs));
    }).on('error', reject);
  });
}

const SECURITY_HEADERS = [
  'content-security-policy', 'strict-transport-security', 'x-frame-options', 'x-content-type-options',
  'referrer-policy', 'permissions-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy',
];

before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser.close();
});

describe('the SPA through nginx', () => {
  it('loads under the strict CSP, lands on sign-in and shows a healthy backend', async () => {
    const page = await browser.newPage({ locale: 'de-DE' });
    const problems: string[] = [];
    page.on('console', (m) => {
      // The SPA probes /api/auth/session on start; its 401 for an anonymous visitor is expected.
      const expected401 = m.text().includes('status of 401') && m.location().url.endsWith('/api/auth/session');
      if (m.type() === 'error' && !expected401) problems.push(`${m.text()} ${m.location().url}`);
    });
    page.on('pageerror', (e) => problems.push(e.message));
    const response = await page.goto(`${base}/`);
    assert.equal(response?.status(), 200);
    await page.waitForFunction(() => location.pathname === '/login');
    await page.locator('[data-test-health="ok"]').waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('h1').textContent(), 'Anmelden');
    assert.deepEqual(problems, [], 'console errors or CSP violations');
    await page.close();
  });

  it('a deep link is answered with the app (history routing)', async () => {
    const page = await browser.newPage({ locale: 'en-US' });
    const response = await page.goto(`${base}/login`);
    assert.equal(response?.status(), 200);
    await page.locator('h1', { hasText: 'Sign in' }).waitFor();
    await page.close();
  });

  it('a browser without ES modules (Internet Explorer and friends) gets a page that names the browsers that work', async () => {
    const context = await browser.newContext({ locale: 'de-DE' });
    // Make this Chromium look like an old browser to the check script before anything runs.
    await context.addInitScript(() => {
      delete (HTMLScriptElement.prototype as { noModule?: boolean }).noModule;
    });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.waitForFunction(() => location.pathname === '/unsupported.html');
    const text = (await page.textContent('body')) ?? '';
    assert.match(text, /Internet Explorer wird nicht unterstützt/);
    assert.match(text, /Firefox/);
    await context.close();
  });

  it('/api/health answers through the proxy', async () => {
    const res = await fetch(`${base}/api/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok', db: 'ok' });
  });

  it('plain HTTP is redirected to HTTPS', async () => {
    const res = await fetch(`${process.env.E2E_PLAIN_URL}/containers?x=1`, { redirect: 'manual' });
    assert.equal(res.status, 301);
    assert.match(res.headers.get('location') ?? '', /^https:\/\/127\.0\.0\.1\/containers\?x=1$/);
  });

  it('sends each security header exactly once on the page, an asset and an API response (one owner: nginx)', async () => {
    const html = await (await fetch(`${base}/`)).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'no hashed script in index.html');
    for (const path of ['/', asset, '/api/health', '/api/auth/session', '/api/nope']) {
      const headers = await rawHeaders(`${base}${path}`);
      for (const name of SECURITY_HEADERS) {
        const values = headers.filter(([n]) => n === name).map(([, v]) => v);
        assert.equal(values.length, 1, `${path}: ${name} ${values.length} times: ${JSON.stringify(values)}`);
      }
    }
  });

  it('sends the security headers and caches correctly', async () => {
    const index = await fetch(`${base}/`);
    assert.ok(base.startsWith('https://'), 'the e2e run goes through TLS');
    assert.match(index.headers.get('strict-transport-security') ?? '', /max-age=\d{8,}; includeSubDomains/);
    assert.equal(index.headers.get('referrer-policy'), 'no-referrer');
    assert.match(index.headers.get('permissions-policy') ?? '', /camera=\(\)/);
    const csp = index.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-(inline|eval)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'no hashed script in index.html');
    const res = await fetch(`${base}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    assert.ok(res.headers.get('content-length'), 'a precompressed file (on-the-fly gzip would be chunked)');
    assert.match(res.headers.get('strict-transport-security') ?? '', /max-age/, 'assets carry the security headers too');
    const api = await fetch(`${base}/api/health`);
    assert.match(api.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, 'and the API');
  });
});
