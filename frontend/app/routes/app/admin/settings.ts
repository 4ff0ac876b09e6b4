import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { TenantSettings } from 'frontend/components/settings-form';
import { requireAny } from 'frontend/utils/guard-route';

export default class AdminSettingsRoute extends Route {
  @service declare api: ApiService;
  @service declare session: SessionService;
  @service declare router: RouterService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['settings', 'read']]);
  }

  model(): Promise<TenantSettings> {
    return this.api.get<TenantSettings>('/settings');
  }
}
