import type ApiService from 'frontend/services/api';
import { ApiError } from 'frontend/services/api';

export type HealthState = 'checking' | 'ok' | 'degraded' | 'unreachable';

/** Whether the API and its database answer: a 503 or a database other than "ok" is degraded, any other failure unreachable. */
export async function checkHealth(api: Pick<ApiService, 'get'>): Promise<HealthState> {
  try {
    const health = await api.get<{ status: string; db?: string }>('/health');
    return health.db === 'ok' ? 'ok' : 'degraded';
  } catch (err) {
    return err instanceof ApiError && err.status === 503 ? 'degraded' : 'unreachable';
  }
}
