import Application from 'frontend/app';
import config from 'frontend/config/environment';
import * as QUnit from 'qunit';
import { setApplication } from '@ember/test-helpers';
import { setup } from 'qunit-dom';
import translationsForDeDe from 'virtual:ember-intl/translations/de-de';
import translationsForEnUs from 'virtual:ember-intl/translations/en-us';
import { preloadTranslations } from 'frontend/services/locale';
import { start as qunitStart, setupEmberOnerrorValidation } from 'ember-qunit';

export function start() {
  // Both languages at hand, so a test switches language synchronously.
  preloadTranslations('de-de', translationsForDeDe);
  preloadTranslations('en-us', translationsForEnUs);
  setApplication(Application.create(config.APP));

  setup(QUnit.assert);
  setupEmberOnerrorValidation();

  qunitStart();
}
