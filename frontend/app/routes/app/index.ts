import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import { loadOverview, type Overview } from 'frontend/utils/overview';

export default class AppIndexRoute extends Route {
  @service declare session: SessionService;
  @service declare api: ApiService;

  /** Asks the server every time the overview opens: what runs is what the server says runs. */
  model(): Promise<Overview> {
    return loadOverview(this.api, this.session);
  }
}
