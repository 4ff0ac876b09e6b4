import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import type { Client } from './client.js';

/**
 * A real authenticator for the backend suites: Chromium's virtual authenticator (DevTools protocol,
 * WebAuthn domain) answers navigator.credentials through @simplewebauthn/browser, on
 * http://localhost:<port> (a secure context, and a valid relying-party id).
 */
const require = createRequire(import.meta.url);
// The frontend's dependency (hoisted to the root node_modules by the workspace install).
const browserBundle = fs.readFileSync(path.join(path.dirname(require.resolve('@simplewebauthn/browser')), '../dist/bundle/index.umd.min.js'), 'utf8');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface Device {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

/** A browser with one virtual platform authenticator (user verification on), on Kontor's origin. */
export async function device(browser: Browser, origin: string): Promise<Device> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // A blank page of Kontor's origin that loads the browser library (the SPA bundles the same).
  await page.route(`${origin}/passkey-test`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><script>${browserBundle}</script>` }));
  await page.goto(`${origin}/passkey-test`);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { context, page, cdp, authenticatorId };
}

export const register = (d: Device, optionsJSON: unknown) =>
  d.page.evaluate((o) => (window as any).SimpleWebAuthnBrowser.startRegistration({ optionsJSON: o }), optionsJSON);
export const authenticate = (d: Device, optionsJSON: unknown) =>
  d.page.evaluate((o) => (window as any).SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: o }), optionsJSON);

export const webauthnCookie = (res: { headers: Headers }) => res.headers.getSetCookie().find((x) => x.startsWith('kontor_webauthn='))!.split(';')[0]!;

/** Registers a passkey from a signed-in client. Cookies are per host: the API client talks to 127.0.0.1, the authenticator sees localhost. */
export async function addPasskey(c: Client, d: Device, name = 'Laptop'): Promise<{ status: number; body: any }> {
  const options = await c.post('/api/auth/passkeys/options');
  if (options.status !== 200) return options;
  const response = await register(d, options.body);
  return c.request('POST', '/api/auth/passkeys', { name, response }, { cookie: `${c.cookie}; ${webauthnCookie(options)}` });
}
