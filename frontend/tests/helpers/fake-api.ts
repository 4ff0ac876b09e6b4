import ApiService, { ApiError } from 'frontend/services/api';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test's handler reads the body it expects
type Handler = (body: any) => unknown;

/**
 * A scripted stand-in for the HTTP layer, for testing screens in isolation. The real API is
 * exercised by the backend suite and end to end through nginx; this only answers what a test set.
 */
export function fakeApi(routes: Record<string, Handler>, calls: { method: string; path: string; body: unknown }[] = []) {
  return class FakeApi extends ApiService {
    // eslint-disable-next-line @typescript-eslint/require-await -- a throwing handler must become a rejected promise
    override async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      calls.push({ method, path, body });
      // An exact route first, then the same route without its query string.
      const handler = routes[`${method} ${path}`] ?? routes[`${method} ${path.split('?')[0]}`];
      if (!handler) throw new ApiError(401, 'unauthenticated', 'Please sign in.');
      return handler(body) as T;
    }
  };
}

export function sessionInfo(overrides: Record<string, unknown> = {}) {
  return {
    user: { id: 'u1', email: 'erika@bank.example', name: 'Erika Muster' },
    tenant: { id: 't1', name: 'Sparkasse Muster', isVendor: false },
    permissions: ['containers:read'],
    modules: [],
    mustChangePassword: false,
    session: { id: 's1', idleMinutes: 30, absoluteExpiresAt: new Date(Date.now() + 8 * 3600_000).toISOString() },
    passwordPolicy: { profile: 'standard', minLength: 12, maxLength: 128, requiresDigit: false, requiresLowercase: false, requiresUppercase: false },
    mfa: { enrolled: false, verified: false, required: false },
    ...overrides,
  };
}

export { ApiError };
