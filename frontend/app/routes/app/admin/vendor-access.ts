import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { BankVendorAccess } from 'frontend/components/vendor-access-page';
import type { DepartmentView } from 'frontend/utils/containers';
import { requireAny } from 'frontend/utils/guard-route';

export default class AdminVendorAccessRoute extends Route {
  @service declare api: ApiService;
  @service declare session: SessionService;
  @service declare router: RouterService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['users', 'read']]);
  }

  async model(): Promise<BankVendorAccess> {
    const [access, departments] = await Promise.all([this.api.get<BankVendorAccess>('/access-requests'), this.api.get<DepartmentView[]>('/departments')]);
    return { ...access, departments };
  }
}
