import Service, { service } from '@ember/service';
import { tracked } from '@glimmer/tracking';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';

/** The number of vendor access requests waiting for the bank's decision: the badge in the navigation. */
export default class VendorAccessService extends Service {
  @service declare api: ApiService;
  @service declare session: SessionService;
  @tracked pending = 0;

  async refresh(): Promise<void> {
    const info = this.session.info;
    if (!info || info.tenant.isVendor || !this.session.can('users', 'read')) {
      this.pending = 0;
      return;
    }
    try {
      // Not user activity: the badge must not keep an idle session alive.
      this.pending = (await this.api.request<{ pending: number }>('GET', '/access-requests', undefined, { background: true })).pending;
    } catch {
      this.pending = 0;
    }
  }
}

declare module '@ember/service' {
  interface Registry {
    'vendor-access': VendorAccessService;
  }
}
