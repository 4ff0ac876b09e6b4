import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type LocaleService from 'frontend/services/locale';
import type SessionService from 'frontend/services/session';

export default class LoginRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;
  @service declare locale: LocaleService;

  beforeModel(): void {
    if (this.session.isSignedIn) this.router.transitionTo('app.index');
  }

  /** The page renders with its own texts; the rest arrive meanwhile, for the frame after sign-in. */
  activate(): void {
    void this.locale.loadAll();
  }
}
