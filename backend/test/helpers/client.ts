/** Email → a function that yields a fresh valid TOTP code (registered by helpers/factors.ts). */
export const testFactors = new Map<string, () => Promise<string>>();

/** A tiny cookie-keeping HTTP client: real requests, as a browser on the same origin would send them. */
export class Client {
  session: string | undefined;
  challenge: string | undefined;

  /** The cookies a browser would send (session, and a pending second-factor challenge). */
  get cookie(): string | undefined {
    return [this.session, this.challenge].filter(Boolean).join('; ') || undefined;
  }

  set cookie(value: string | undefined) {
    this.session = value;
  }

  constructor(readonly base: string) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        origin: this.base,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.getSetCookie();
    for (const c of setCookie) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=');
      if (name === 'kontor_session') this.session = value ? `${name}=${value}` : undefined;
      if (name === 'kontor_challenge') this.challenge = value ? `${name}=${value}` : undefined;
    }
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('application/json');
    return { status: res.status, body: text && json ? JSON.parse(text) : text || undefined, headers: res.headers };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, undefined, headers);
  }

  post(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request('POST', path, body ?? {}, headers);
  }

  delete(path: string) {
    return this.request('DELETE', path);
  }

  /** Signs in; for a user with a test factor (helpers/factors.ts) the second step follows by itself. */
  async login(email: string, password: string) {
    const first = await this.post('/api/auth/login', { email, password });
    const factor = testFactors.get(email.toLowerCase());
    if (first.status !== 200 || !first.body?.secondFactorRequired || !factor) return first;
    return this.post('/api/auth/login/second-factor', { code: await factor() });
  }

  /** The raw session token, for tests that tamper with it. */
  get token(): string | undefined {
    return this.session?.split('=')[1];
  }
}
