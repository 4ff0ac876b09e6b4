import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { RoleView, UserView } from 'frontend/components/users-admin';
import type { DepartmentView } from 'frontend/utils/containers';
import { requireAny } from 'frontend/utils/guard-route';

export default class AdminUsersRoute extends Route {
  @service declare api: ApiService;
  @service declare session: SessionService;
  @service declare router: RouterService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['users', 'read']]);
  }

  async model(): Promise<{ roles: RoleView[]; users: UserView[]; departments: DepartmentView[] }> {
    const [roles, users, departments] = await Promise.all([
      this.api.get<Omit<RoleView, 'rightsText'>[]>('/roles'), this.api.get<UserView[]>('/users'), this.api.get<DepartmentView[]>('/departments'),
    ]);
    return { roles: roles.map((r) => ({ ...r, rightsText: r.rights.join(', ') })), users, departments };
  }
}
