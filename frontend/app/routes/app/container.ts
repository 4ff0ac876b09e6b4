import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { CalculationView, TemplateView } from 'frontend/utils/calculations';
import type { ContainerModel, ContainerView } from 'frontend/utils/containers';
import { requireAny } from 'frontend/utils/guard-route';

export default class ContainerRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;
  @service declare api: ApiService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['containers', 'read']]);
  }

  /**
   * The container, its runs and the templates to start one with, asked from the server on every
   * visit (and on refresh): a run or import that is still going shows as the server says.
   */
  async model(params: { id: string }): Promise<ContainerModel> {
    const calculations = this.session.canUse('segmentation', 'read') || this.session.canUse('leasing', 'read');
    try {
      const [container, history, templates] = await Promise.all([
        this.api.get<ContainerView>(`/containers/${params.id}`),
        calculations ? this.api.get<CalculationView[]>(`/calculations?containerId=${params.id}`) : Promise.resolve([]),
        this.session.canUse('segmentation', 'read')
          ? this.api.get<TemplateView[]>('/segmentation/templates').catch(() => [])
          : Promise.resolve([]),
      ]);
      return { id: params.id, container, history, templates, error: null };
    } catch (error) {
      // The page says why (not found, no right) instead of going blank.
      return { id: params.id, container: null, history: [], templates: [], error };
    }
  }
}
