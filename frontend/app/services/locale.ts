import Service, { service } from '@ember/service';
import { waitForPromise } from '@ember/test-waiters';
import type IntlService from 'ember-intl/services/intl';

export type Locale = 'de-de' | 'en-us';
/** What ember-intl takes: nested JSON of texts, as the translation files hold it. */
type Translations = Parameters<IntlService['addTranslations']>[1];

// Each language is its own chunk, fetched when first used: the first page carries one, not both.
const loaders: Record<Locale, () => Promise<{ default: Translations }>> = {
  'de-de': () => import('virtual:ember-intl/translations/de-de'),
  'en-us': () => import('virtual:ember-intl/translations/en-us'),
};
const fetched = new Map<Locale, Translations>();

// The texts of the server's error codes and field names: many, and needed only once something
// fails, so they follow the language's chunk instead of weighing on the first page.
const errorLoaders: Record<Locale, () => Promise<{ default: Translations }>> = {
  'de-de': () => import('../../error-texts/errors-de-de.json'),
  'en-us': () => import('../../error-texts/errors-en-us.json'),
};
const fetchedErrors = new Map<Locale, Translations>();

/** Makes a language available without a fetch (the test suite preloads both). */
export function preloadTranslations(locale: Locale, translations: Translations, errorTexts?: Translations): void {
  fetched.set(locale, translations);
  if (errorTexts) fetchedErrors.set(locale, errorTexts);
}

/** German by default; English when the browser asks for it or the user switches. Nothing is stored on the device. */
export default class LocaleService extends Service {
  @service declare intl: IntlService;
  #added = new Set<Locale>();
  #errorsAdded = new Set<Locale>();
  #wanted: Locale | null = null;
  /** Settles once the language last asked for is shown (at once when it is at hand). */
  ready: Promise<void> = Promise.resolve();

  setup(preferred: readonly string[] = navigator.languages ?? []): void {
    const first = preferred[0]?.toLowerCase() ?? 'de';
    this.use(first.startsWith('en') ? 'en-us' : 'de-de');
  }

  get current(): Locale {
    return this.intl.primaryLocale === 'en-us' ? 'en-us' : 'de-de';
  }

  /** Switches at once when the language is at hand, else after its chunk has arrived (see `ready`). */
  use(locale: Locale): void {
    this.#wanted = locale;
    this.ready = this.#load(locale);
  }

  toggle(): void {
    this.use(this.current === 'de-de' ? 'en-us' : 'de-de');
  }

  #load(locale: Locale): Promise<void> {
    const translations = fetched.get(locale);
    if (translations) {
      this.#apply(locale, translations);
      return Promise.resolve();
    }
    return waitForPromise(
      loaders[locale]().then(({ default: translations }) => {
        fetched.set(locale, translations);
        // A later choice, made while this chunk was on its way, wins.
        if (this.#wanted === locale) this.#apply(locale, translations);
      }),
    );
  }

  #apply(locale: Locale, translations: Translations): void {
    if (!this.#added.has(locale)) {
      this.intl.addTranslations(locale, translations);
      this.#added.add(locale);
    }
    this.intl.setLocale([locale]);
    this.#loadErrorTexts(locale);
  }

  /** Adds the error texts of a language, at once when at hand, else once their chunk arrived. */
  #loadErrorTexts(locale: Locale): void {
    if (this.#errorsAdded.has(locale)) return;
    this.#errorsAdded.add(locale);
    const add = (texts: Translations) => this.intl.addTranslations(locale, texts);
    const known = fetchedErrors.get(locale);
    if (known) return add(known);
    void waitForPromise(
      errorLoaders[locale]().then(({ default: texts }) => {
        fetchedErrors.set(locale, texts);
        add(texts);
      }, () => this.#errorsAdded.delete(locale)),
    );
  }
}

declare module '@ember/service' {
  interface Registry {
    locale: LocaleService;
  }
}
