import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type LocaleService from 'frontend/services/locale';

export default class RecoveryRoute extends Route {
  @service declare locale: LocaleService;

  /** The recovery page's texts are not among the first page's. */
  beforeModel(): Promise<void> {
    return this.locale.loadAll();
  }
}
