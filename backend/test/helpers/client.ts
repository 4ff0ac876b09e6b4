/** A tiny cookie-keeping HTTP client: real requests, as a browser on the same origin would send them. */
export class Client {
  cookie: string | undefined;

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
      if (name === 'kontor_session') this.cookie = value ? `${name}=${value}` : undefined;
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

  login(email: string, password: string) {
    return this.post('/api/auth/login', { email, password });
  }

  /** The raw session token, for tests that tamper with it. */
  get token(): string | undefined {
    return this.cookie?.split('=')[1];
  }
}
