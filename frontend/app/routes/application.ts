import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type LocaleService from 'frontend/services/locale';

export default class ApplicationRoute extends Route {
  @service declare locale: LocaleService;

  beforeModel(): void {
    this.locale.setup();
  }
}
