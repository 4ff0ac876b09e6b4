import Service, { service } from '@ember/service';
import type IntlService from 'ember-intl/services/intl';
import translationsForDeDe from 'virtual:ember-intl/translations/de-de';
import translationsForEnUs from 'virtual:ember-intl/translations/en-us';

export type Locale = 'de-de' | 'en-us';

/** German by default; English when the browser asks for it or the user switches. Nothing is stored on the device. */
export default class LocaleService extends Service {
  @service declare intl: IntlService;

  setup(preferred: readonly string[] = navigator.languages ?? []): void {
    this.intl.addTranslations('de-de', translationsForDeDe);
    this.intl.addTranslations('en-us', translationsForEnUs);
    const first = preferred[0]?.toLowerCase() ?? 'de';
    this.use(first.startsWith('en') ? 'en-us' : 'de-de');
  }

  get current(): Locale {
    return this.intl.primaryLocale === 'en-us' ? 'en-us' : 'de-de';
  }

  use(locale: Locale): void {
    this.intl.setLocale([locale]);
  }

  toggle(): void {
    this.use(this.current === 'de-de' ? 'en-us' : 'de-de');
  }
}

declare module '@ember/service' {
  interface Registry {
    locale: LocaleService;
  }
}
