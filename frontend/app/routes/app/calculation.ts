import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type SessionService from 'frontend/services/session';
import { requireAny } from 'frontend/utils/guard-route';

export default class CalculationRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['segmentation', 'read'], ['leasing', 'read']]);
  }

  model(params: { id: string }): { id: string } {
    return { id: params.id };
  }
}
