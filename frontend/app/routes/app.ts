import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type Transition from '@ember/routing/transition';
import type LocaleService from 'frontend/services/locale';
import type SessionService from 'frontend/services/session';
import type VendorAccessService from 'frontend/services/vendor-access';

export default class AppRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;
  @service('vendor-access') declare vendorAccess: VendorAccessService;
  @service declare locale: LocaleService;

  async beforeModel(transition: Transition): Promise<void> {
    const [signedIn] = await Promise.all([this.session.load(), this.locale.loadAll()]);
    if (!signedIn) {
      this.router.transitionTo('login');
      return;
    }
    const pending = this.session.pendingStep;
    if (pending && transition.to?.name !== pending) this.router.transitionTo(pending);
  }

  afterModel(): void {
    // The pending-request badge; not awaited, the page does not wait for it.
    void this.vendorAccess.refresh();
  }
}
