import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import { requireAny } from 'frontend/utils/guard-route';

export default class AdminRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;
  @service declare api: ApiService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['users', 'read'], ['audit', 'read'], ['settings', 'read'], ['containers', 'write']]);
  }

  /** How many four-eyes changes wait for this user's decision (the tab badge); refreshed on each visit. */
  async model(): Promise<{ waiting: number }> {
    const list = await this.api.get<{ canDecide: boolean }[]>('/approvals', { background: true });
    return { waiting: list.filter((a) => a.canDecide).length };
  }
}
