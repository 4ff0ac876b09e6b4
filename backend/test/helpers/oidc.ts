import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/net/free-port.js';
import { Client } from './client.js';


const here = path.dirname(fileURLToPath(import.meta.url));

export interface TestProvider {
  issuer: string;
  account(sub: string, claims: Record<string, unknown>): Promise<void>;
  next(sub: string | undefined): Promise<void>;
  mode(mode: 'normal' | 'wrong_aud' | 'wrong_nonce' | 'expired' | 'wrong_issuer' | 'foreign_signature'): Promise<void>;
  /** A JWT of these claims signed with the provider's key (or, `foreign`, a key not in its JWKS). */
  sign(claims: Record<string, unknown>, options?: { foreign?: boolean; header?: Record<string, unknown> }): Promise<string>;
  stop(): Promise<void>;
}

export interface ProviderClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
}

/** oidc-provider in its own process on a free port, with a throw-away key (oidc-provider-server.mjs). */
export async function startProvider(clients: ProviderClient[]): Promise<TestProvider> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [path.join(here, 'oidc-provider-server.mjs'), String(port)], {
    env: { ...process.env, OIDC_CLIENTS: JSON.stringify(clients.map((c) => ({ ...c, grant_types: ['authorization_code'], response_types: ['code'] }))) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => { errors += d.toString(); });
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`oidc provider exited ${code}: ${errors}`)));
  });
  const post = async (p: string, body: unknown) => {
    const res = await fetch(`${issuer}${p}`, { method: 'POST', body: JSON.stringify(body) });
    if (res.status !== 204) throw new Error(`provider control ${p}: ${res.status}`);
  };
  return {
    issuer,
    account: (sub, claims) => post('/test/account', { sub, claims }),
    next: (sub) => post('/test/next', { sub }),
    mode: (mode) => post('/test/mode', { mode }),
    sign: async (claims, options = {}) => {
      const res = await fetch(`${issuer}/test/sign`, { method: 'POST', body: JSON.stringify({ claims, ...options }) });
      return ((await res.json()) as { token: string }).token;
    },
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** A cookie jar keyed by origin: what a browser keeps for Kontor and for the provider. */
export class Jar {
  private readonly byOrigin = new Map<string, Map<string, string>>();
  header(url: URL): string | undefined {
    const c = this.byOrigin.get(url.origin);
    return c && c.size ? [...c].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }
  take(url: URL, res: Response): void {
    const c = this.byOrigin.get(url.origin) ?? new Map<string, string>();
    this.byOrigin.set(url.origin, c);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (!value || attrs.some((a) => /max-age=0/i.test(a.trim()) || /expires=thu, 01 jan 1970/i.test(a.trim()))) c.delete(name);
      else c.set(name, value);
    }
  }
  get(origin: string, name: string): string | undefined {
    return this.byOrigin.get(origin)?.get(name);
  }
}

export interface FlowResult {
  /** Where Kontor's callback sent the browser: `/`, `/login?step=second-factor` or `/login?directoryError=…`. */
  landing: string;
  /** A Kontor client holding the cookies the browser now has. */
  client: Client;
  /** The browser's cookies, the provider's session among them. */
  jar: Jar;
}

/**
 * A browser's journey: Kontor's start → the provider (interaction signs in the named account) →
 * Kontor's callback. `rewriteCallback` lets a test tamper with the provider's redirect back;
 * `stateFrom` replays the state cookie of another, earlier start (a login CSRF attempt);
 * `beforeCallback` runs while the browser is on its way back (time passes, the provider goes away).
 */
export async function runFlow(kontorUrl: string, tenantId: string, options: { rewriteCallback?: (u: URL) => URL; stateCookie?: string; beforeCallback?: () => Promise<void> } = {}): Promise<FlowResult & { stateCookie: string | undefined }> {
  const jar = new Jar();
  let url = new URL(`${kontorUrl}/api/auth/oidc/start?tenant=${tenantId}`);
  let stateCookie: string | undefined;
  for (let hop = 0; hop < 20; hop++) {
    const isCallback = url.pathname === '/api/auth/oidc/callback';
    if (isCallback && options.rewriteCallback) url = options.rewriteCallback(url);
    if (isCallback) await options.beforeCallback?.();
    let cookie = jar.header(url);
    if (isCallback && options.stateCookie) cookie = `kontor_oidc=${options.stateCookie}`;
    const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    jar.take(url, res);
    if (url.pathname === '/api/auth/oidc/start') stateCookie = jar.get(new URL(kontorUrl).origin, 'kontor_oidc');
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) throw new Error(`flow stopped at ${url.pathname} with ${res.status}: ${await res.text()}`);
    if (isCallback) {
      const client = new Client(kontorUrl);
      const session = jar.get(new URL(kontorUrl).origin, 'kontor_session');
      const challenge = jar.get(new URL(kontorUrl).origin, 'kontor_challenge');
      if (session) client.session = `kontor_session=${session}`;
      if (challenge) client.challenge = `kontor_challenge=${challenge}`;
      return { landing: location, client, stateCookie, jar };
    }
    url = new URL(location, url);
  }
  throw new Error('too many redirects');
}

/**
 * The user signs out at the provider in this browser: its end_session page, then the confirmation
 * form. The provider posts its logout tokens (back-channel) before it answers the confirmation.
 */
export async function logoutAtProvider(issuer: string, jar: Jar): Promise<void> {
  const start = new URL(`${issuer}/session/end`);
  const page = await fetch(start, { redirect: 'manual', headers: { cookie: jar.header(start) ?? '' } });
  jar.take(start, page);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!xsrf) throw new Error(`no logout form at the provider (${page.status})`);
  const confirm = new URL(`${issuer}/session/end/confirm`);
  const done = await fetch(confirm, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ xsrf, logout: 'yes' }),
    headers: { cookie: jar.header(confirm) ?? '', 'content-type': 'application/x-www-form-urlencoded' },
  });
  jar.take(confirm, done);
  if (done.status !== 303 && done.status !== 302 && done.status !== 200) throw new Error(`provider logout answered ${done.status}`);
}
