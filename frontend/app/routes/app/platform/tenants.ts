import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type ApiService from 'frontend/services/api';
import type { TenantView } from 'frontend/components/tenants-admin';

export default class PlatformTenantsRoute extends Route {
  @service declare api: ApiService;

  model(): Promise<TenantView[]> {
    return this.api.get<TenantView[]>('/platform/tenants');
  }
}
