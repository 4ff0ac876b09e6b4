import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import { loadVendorUsers, type VendorUsersModel } from 'frontend/utils/vendor-users';

export default class PlatformUsersRoute extends Route {
  @service declare api: ApiService;
  @service declare session: SessionService;

  model(): Promise<VendorUsersModel> {
    return loadVendorUsers(this.api, this.session);
  }
}
