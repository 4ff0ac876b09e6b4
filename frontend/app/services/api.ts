import Service, { service } from '@ember/service';
import { waitForPromise } from '@ember/test-waiters';
import type SessionService from 'frontend/services/session';

export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
  reason?: string;
  /** The values the message is made of (a limit, a role), for the translated text. */
  params?: Record<string, string | number>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly reason?: string,
    readonly params?: Record<string, string | number>,
  ) {
    super(message);
  }

  /** The error of a refused response, from its JSON body when it has one. */
  static from(status: number, data: unknown, statusText: string): ApiError {
    const err = (data as { error?: ApiErrorBody } | undefined)?.error;
    // nginx's own limit (limit_req in front of sign-in) answers 429 with a page of its own, not our JSON.
    const code = err?.code ?? (status === 429 ? 'too_many_requests' : 'http_error');
    return new ApiError(status, code, err?.message ?? statusText, err?.field, err?.reason, err?.params);
  }
}

export interface RequestOptions {
  /** Progress polling: the server does not count it as user activity. */
  background?: boolean;
  /** Do not treat a 401 as "session over" (sign-in itself, session probing). */
  expectUnauthenticated?: boolean;
}

/**
 * The one way the SPA talks to the API. It adds nothing secret: the session cookie travels by
 * itself (HttpOnly); X-Requested-With marks same-origin requests. A 401 sends the user back to
 * sign-in, a pending password change to the change form.
 */
export default class ApiService extends Service {
  @service declare session: SessionService;

  /** Every request is a test waiter, so tests settle only once the answers have arrived. */
  request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return waitForPromise(this.send<T>(method, path, body, options));
  }

  private async send<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`/api${path}`, {
        method,
        credentials: 'same-origin',
        headers: {
          Accept: 'application/json',
          'X-Requested-With': 'kontor',
          ...(options.background ? { 'X-Kontor-Background': '1' } : {}),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'network_error', 'The server cannot be reached.');
    }
    if (response.status === 204) {
      await response.text().catch(() => '');
      return undefined as T;
    }
    const data: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const apiError = ApiError.from(response.status, data, response.statusText);
      if (response.status === 401 && !options.expectUnauthenticated) this.session.handleUnauthenticated(apiError.code, apiError.reason);
      if (apiError.code === 'password_change_required') this.session.handlePasswordChangeRequired();
      if (apiError.code === 'mfa_enrolment_required' || apiError.code === 'passkey_enrolment_required') this.session.handleMfaEnrolmentRequired();
      throw apiError;
    }
    return data as T;
  }

  /** A raw file upload with upload progress (fetch cannot report it). */
  upload<T>(path: string, file: Blob, contentType: string, onProgress: (loaded: number, total: number) => void): Promise<T> {
    return waitForPromise(new Promise<T>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `/api${path}`);
      xhr.setRequestHeader('X-Requested-With', 'kontor');
      xhr.setRequestHeader('Content-Type', contentType);
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onerror = () => reject(new ApiError(0, 'network_error', 'The server cannot be reached.'));
      xhr.onload = () => {
        let data: unknown;
        try {
          data = JSON.parse(xhr.responseText);
        } catch {
          data = undefined;
        }
        if (xhr.status >= 200 && xhr.status < 300) return resolve(data as T);
        const apiError = ApiError.from(xhr.status, data, xhr.statusText);
        if (xhr.status === 401) this.session.handleUnauthenticated(apiError.code, apiError.reason);
        reject(apiError);
      };
      xhr.send(file);
    }));
  }

  /** A file the API serves (a CSV export) as text, e.g. to prepare it for Excel in the browser. */
  text(url: string): Promise<string> {
    return waitForPromise(
      fetch(url, { credentials: 'same-origin', headers: { 'X-Requested-With': 'kontor' } }).then(async (response) => {
        if (response.ok) return response.text();
        const apiError = ApiError.from(response.status, await response.json().catch(() => undefined), response.statusText);
        if (response.status === 401) this.session.handleUnauthenticated(apiError.code, apiError.reason);
        throw apiError;
      }, () => {
        throw new ApiError(0, 'network_error', 'The server cannot be reached.');
      }),
    );
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, undefined, options);
  }

  post<T>(path: string, body: unknown = {}, options?: RequestOptions): Promise<T> {
    return this.request<T>('POST', path, body, options);
  }

  delete<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('DELETE', path, undefined, options);
  }
}

declare module '@ember/service' {
  interface Registry {
    api: ApiService;
  }
}
