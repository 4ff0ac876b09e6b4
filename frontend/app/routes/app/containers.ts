import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { ContainerView, DepartmentView } from 'frontend/utils/containers';
import { requireAny } from 'frontend/utils/guard-route';

export default class ContainersRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;
  @service declare api: ApiService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['containers', 'read']]);
  }

  async model(): Promise<{ containers: ContainerView[]; departments: DepartmentView[] }> {
    const [containers, departments] = await Promise.all([this.api.get<ContainerView[]>('/containers'), this.api.get<DepartmentView[]>('/departments')]);
    return { containers, departments };
  }
}
