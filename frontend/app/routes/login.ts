import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type LoginController from 'frontend/controllers/login';
import type ApiService from 'frontend/services/api';
import type LocaleService from 'frontend/services/locale';
import type SessionService from 'frontend/services/session';
import { checkHealth } from 'frontend/utils/health';

export default class LoginRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;
  @service declare locale: LocaleService;
  @service declare api: ApiService;

  /** Back from a refused directory sign-in: the form picks the refusal's text once, so the error texts come first. */
  async beforeModel(transition: Parameters<Route['beforeModel']>[0]): Promise<void> {
    if (this.session.isSignedIn) {
      this.router.transitionTo('app.index');
      return;
    }
    if (transition.to?.queryParams['directoryError']) await this.locale.errorTexts();
  }

  /** The page renders with its own texts; the rest arrive meanwhile, for the frame after sign-in. */
  activate(): void {
    void this.locale.loadAll();
  }

  /** Asks once per visit whether server and database answer; the form shows at once, the answer when it comes. */
  setupController(controller: LoginController, model: unknown, transition: Parameters<Route['setupController']>[2]): void {
    super.setupController(controller, model, transition);
    controller.health = 'checking';
    void checkHealth(this.api).then((state) => (controller.health = state));
  }
}
