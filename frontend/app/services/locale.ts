import Service, { service } from '@ember/service';
import { waitForPromise } from '@ember/test-waiters';
import type IntlService from 'ember-intl/services/intl';

export type Locale = 'de-de' | 'en-us';
/** What ember-intl takes: nested JSON of texts, as the translation files hold it. */
type Translations = Parameters<IntlService['addTranslations']>[1];

// Each language is its own chunk, fetched when first used: the first page carries one, not both,
// and only its first-page texts (sign-in, frame, errors); the rest comes with the signed-in area.
const loaders: Record<Locale, () => Promise<{ default: Translations }>> = {
  'de-de': () => import('virtual:ember-intl/translations/de-de'),
  'en-us': () => import('virtual:ember-intl/translations/en-us'),
};
const coreLoaders: Record<Locale, () => Promise<Translations>> = {
  'de-de': () => import('frontend/utils/translations-core-de-de').then((m) => ({ ...m })),
  'en-us': () => import('frontend/utils/translations-core-en-us').then((m) => ({ ...m })),
};
const fetched = new Map<Locale, Translations>();
const fetchedCore = new Map<Locale, Translations>();

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

/**
 * German by default; English when the browser asks for it or the user switches. Nothing is stored
 * on the device: a signed-in user's choice is kept on the server (the session service saves it).
 */
export default class LocaleService extends Service {
  @service declare intl: IntlService;
  #added = new Set<Locale>();
  #errorsAdded = new Set<Locale>();
  #errorsArriving = new Map<Locale, Promise<void>>();
  #addedCore = new Set<Locale>();
  #wanted: Locale | null = null;
  /** Once a page beyond sign-in was opened, every language switch brings all texts. */
  #all = false;
  /** Settles once the language last asked for is shown (at once when it is at hand). */
  ready: Promise<void> = Promise.resolve();
  /** The user switched language by hand (not taken from the browser or the server). */
  pickedByHand = false;

  setup(preferred: readonly string[] = navigator.languages ?? []): void {
    const first = preferred[0]?.toLowerCase() ?? 'de';
    this.use(first.startsWith('en') ? 'en-us' : 'de-de');
  }

  get current(): Locale {
    return this.intl.primaryLocale === 'en-us' ? 'en-us' : 'de-de';
  }

  /** Switches at once when the language is at hand, else after its chunk has arrived (see `ready`). */
  use(locale: Locale, byHand = false): void {
    if (byHand) this.pickedByHand = true;
    this.#wanted = locale;
    this.ready = this.#load(locale);
  }

  toggle(): void {
    this.use(this.current === 'de-de' ? 'en-us' : 'de-de', true);
  }

  /** Every text of the language in use (the signed-in area, recovery and invitation pages call it). */
  loadAll(): Promise<void> {
    if (!this.#all) {
      this.#all = true;
      this.ready = this.#load(this.#wanted ?? this.current);
    }
    return this.ready;
  }

  #load(locale: Locale): Promise<void> {
    const translations = fetched.get(locale);
    if (translations) {
      this.#apply(locale, translations, this.#added);
      return Promise.resolve();
    }
    const core = fetchedCore.get(locale);
    if (!this.#all && core) {
      this.#apply(locale, core, this.#addedCore);
      return Promise.resolve();
    }
    const all = this.#all;
    return waitForPromise(
      (all ? loaders[locale]().then((m) => m.default) : coreLoaders[locale]()).then((texts) => {
        (all ? fetched : fetchedCore).set(locale, texts);
        // A later choice, made while this chunk was on its way, wins.
        if (this.#wanted === locale) this.#apply(locale, texts, all ? this.#added : this.#addedCore);
      }),
    );
  }

  #apply(locale: Locale, translations: Translations, added: Set<Locale>): void {
    if (!added.has(locale)) {
      this.intl.addTranslations(locale, translations);
      added.add(locale);
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
    const arriving = waitForPromise(
      errorLoaders[locale]().then(({ default: texts }) => {
        fetchedErrors.set(locale, texts);
        add(texts);
      }, () => void this.#errorsAdded.delete(locale)),
    );
    this.#errorsArriving.set(locale, arriving);
    void arriving.finally(() => this.#errorsArriving.delete(locale));
  }

  /** Settles once the error texts of the language in use are at hand (a page that opens with an error waits for them). */
  async errorTexts(): Promise<void> {
    await this.ready;
    await this.#errorsArriving.get(this.current);
  }
}

declare module '@ember/service' {
  interface Registry {
    locale: LocaleService;
  }
}
