import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type SessionService from 'frontend/services/session';

export default class AdminIndexRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;

  beforeModel(): void {
    if (this.session.can('users', 'read')) this.router.transitionTo('app.admin.users');
    else if (this.session.can('audit', 'read')) this.router.transitionTo('app.admin.audit');
    else if (this.session.can('settings', 'read')) this.router.transitionTo('app.admin.settings');
    else this.router.transitionTo('app.admin.approvals');
  }
}
