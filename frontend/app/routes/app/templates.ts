import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { TemplateView } from 'frontend/utils/calculations';
import { requireAny } from 'frontend/utils/guard-route';

export default class TemplatesRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;
  @service declare api: ApiService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['segmentation', 'read']]);
  }

  model(): Promise<TemplateView[]> {
    return this.api.get<TemplateView[]>('/segmentation/templates');
  }
}
