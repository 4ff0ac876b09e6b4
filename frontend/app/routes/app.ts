import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type Transition from '@ember/routing/transition';
import type SessionService from 'frontend/services/session';

export default class AppRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;

  async beforeModel(transition: Transition): Promise<void> {
    if (!(await this.session.load())) {
      this.router.transitionTo('login');
      return;
    }
    if (this.session.info?.mustChangePassword && transition.to?.name !== 'app.password') {
      this.router.transitionTo('app.password');
    }
  }
}
