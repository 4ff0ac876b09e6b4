import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { DirectoryModel, DirectoryView } from 'frontend/utils/directory';
import type { RoleView } from 'frontend/components/users-admin';
import { requireAny } from 'frontend/utils/guard-route';

export default class AdminDirectoryRoute extends Route {
  @service declare api: ApiService;
  @service declare session: SessionService;
  @service declare router: RouterService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['settings', 'read']]);
  }

  async model(): Promise<DirectoryModel> {
    const [{ directory }, roles] = await Promise.all([
      this.api.get<{ directory: DirectoryView | null }>('/directory'),
      // Group mappings name roles; without the right to read them the mapping shows none to pick.
      this.session.can('users', 'read') ? this.api.get<RoleView[]>('/roles') : Promise.resolve([]),
    ]);
    return {
      directory,
      roles: roles.filter((r) => r.assignableInTenants).map((r) => ({ id: r.id, name: r.name })),
      // Until the first save the API has not said it; the same address, from this page's origin.
      redirectUri: `${window.location.origin}/api/auth/oidc/callback`,
      backchannelLogoutUri: this.session.info ? `${window.location.origin}/api/auth/oidc/backchannel-logout/${this.session.info.tenant.id}` : undefined,
    };
  }
}
