import Service from '@ember/service';

export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * The one way the SPA talks to the API. It adds nothing secret: the session cookie travels by
 * itself (HttpOnly), and a custom header marks requests as coming from the SPA.
 */
export default class ApiService extends Service {
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`/api${path}`, {
        method,
        credentials: 'same-origin',
        headers: {
          Accept: 'application/json',
          'X-Requested-With': 'kontor',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'network_error', 'The server cannot be reached.');
    }
    if (response.status === 204) return undefined as T;
    const data: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const err = (data as { error?: ApiErrorBody } | undefined)?.error;
      throw new ApiError(response.status, err?.code ?? 'http_error', err?.message ?? response.statusText, err?.field);
    }
    return data as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
}

declare module '@ember/service' {
  interface Registry {
    api: ApiService;
  }
}
