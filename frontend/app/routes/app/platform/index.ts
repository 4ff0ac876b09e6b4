import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type SessionService from 'frontend/services/session';

export default class PlatformIndexRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;

  beforeModel(): void {
    this.router.transitionTo(this.session.can('platform.tenants', 'read') ? 'app.platform.tenants' : 'app.platform.users');
  }
}
