import Application from 'frontend/app';
import config from 'frontend/config/environment';
import * as QUnit from 'qunit';
import { setApplication } from '@ember/test-helpers';
import { setup } from 'qunit-dom';
import translationsForDeDe from 'virtual:ember-intl/translations/de-de';
import translationsForEnUs from 'virtual:ember-intl/translations/en-us';
import { preloadTranslations } from 'frontend/services/locale';
import errorTextsDeDe from '../error-texts/errors-de-de.json';
import errorTextsEnUs from '../error-texts/errors-en-us.json';
import { start as qunitStart, setupEmberOnerrorValidation } from 'ember-qunit';

export function start() {
  // Both languages at hand, so a test switches language synchronously.
  preloadTranslations('de-de', translationsForDeDe, errorTextsDeDe);
  preloadTranslations('en-us', translationsForEnUs, errorTextsEnUs);
  setApplication(Application.create(config.APP));

  setup(QUnit.assert);
  setupEmberOnerrorValidation();

  qunitStart();
}
