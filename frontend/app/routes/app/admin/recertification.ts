import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { Campaign } from 'frontend/components/recertification-campaign';
import { requireAny } from 'frontend/utils/guard-route';

export default class AdminRecertificationRoute extends Route {
  @service declare api: ApiService;
  @service declare session: SessionService;
  @service declare router: RouterService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['users', 'read']]);
  }

  model(params: { id: string }): Promise<Campaign> {
    return this.api.get<Campaign>(`/recertifications/${params.id}`);
  }
}
