import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type Transition from '@ember/routing/transition';
import type LocaleService from 'frontend/services/locale';
import type SessionService from 'frontend/services/session';

export default class ApplicationRoute extends Route {
  @service declare locale: LocaleService;
  @service declare session: SessionService;
  @service declare router: RouterService;

  async beforeModel(): Promise<void> {
    this.locale.setup();
    await this.locale.ready;
    // Parent route hooks do not run again between sibling pages, so the gate for a pending
    // password change watches every transition. The backend refuses those routes anyway.
    this.router.on('routeWillChange', (transition: Transition) => {
      const target = transition.to?.name ?? '';
      if (this.session.info?.mustChangePassword && target.startsWith('app.') && target !== 'app.password') {
        void this.router.transitionTo('app.password');
      }
    });
  }
}
