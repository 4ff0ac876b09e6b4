import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { AccessRequest } from 'frontend/components/access-request-card';
import { requireAny } from 'frontend/utils/guard-route';

export default class PlatformAccessRoute extends Route {
  @service declare api: ApiService;
  @service declare session: SessionService;
  @service declare router: RouterService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['platform.tenants', 'read']]);
  }

  model(): Promise<AccessRequest[]> {
    return this.api.get<AccessRequest[]>('/platform/access-requests');
  }
}
