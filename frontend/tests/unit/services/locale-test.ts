import { module, test } from 'qunit';
import { setupTest } from 'frontend/tests/helpers';

module('Unit | Service | locale', function (hooks) {
  setupTest(hooks);

  test('German unless the browser asks for English', function (assert) {
    const locale = this.owner.lookup('service:locale');
    for (const [preferred, expected] of [
      [['de-DE'], 'de-de'],
      [['fr-FR', 'en-US'], 'de-de'],
      [[], 'de-de'],
      [['en-GB'], 'en-us'],
      [['EN'], 'en-us'],
    ] as const) {
      locale.setup(preferred);
      assert.strictEqual(locale.current, expected, preferred.join(',') || '(none)');
    }
  });
});
