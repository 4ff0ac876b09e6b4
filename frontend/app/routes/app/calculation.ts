import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type IntlService from 'ember-intl/services/intl';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { CalculationResultModel } from 'frontend/components/calculation-result';
import type { CalculationView, LeasingSummary, SegmentationSummary } from 'frontend/utils/calculations';
import { errorMessage } from 'frontend/utils/error-message';
import { requireAny } from 'frontend/utils/guard-route';

export default class CalculationRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;
  @service declare api: ApiService;
  @service declare intl: IntlService;

  beforeModel(): void {
    requireAny(this.session, this.router, [['segmentation', 'read'], ['leasing', 'read']]);
  }

  /** The run and its summary; a run that cannot be shown yet still gets its page, saying why. */
  async model(params: { id: string }): Promise<CalculationResultModel> {
    const model: CalculationResultModel = { id: params.id, run: null, summary: null, error: null };
    try {
      model.run = await this.api.get<CalculationView>(`/calculations/${params.id}`);
      model.summary = await this.api.get<SegmentationSummary | LeasingSummary>(`/calculations/${params.id}/summary`);
    } catch (err) {
      model.error = errorMessage(this.intl, err, { not_finished: 'calculations.notFinished' });
    }
    return model;
  }
}
