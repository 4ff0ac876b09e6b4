import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { BankVendorAccess } from 'frontend/components/vendor-access-page';
import { requireAny } from 'frontend/utils/guard-route';

export default class AdminVendorAccessRoute extends Route {
  @service declare api: ApiService;
  @service declare session: SessionService;
  @service declare router: RouterService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['users', 'read']]);
  }

  model(): Promise<BankVendorAccess> {
    return this.api.get<BankVendorAccess>('/access-requests');
  }
}
