import { module, test } from 'qunit';
import { setupTest } from 'frontend/tests/helpers';
import type IntlService from 'ember-intl/services/intl';
import { ApiError } from 'frontend/services/api';
import { errorMessage, fieldLabel, serverMessage } from 'frontend/utils/error-message';

module('Unit | Utility | error-message', function (hooks) {
  setupTest(hooks);

  function intlIn(owner: { lookup(name: string): unknown }, locale: 'de-de' | 'en-us'): IntlService {
    (owner.lookup('service:locale') as { use(l: string): void }).use(locale);
    return owner.lookup('service:intl') as IntlService;
  }

  test('a code with a reason and parameters, in German, numbers in the German format', function (assert) {
    const intl = intlIn(this.owner, 'de-de');
    const err = new ApiError(413, 'payload_too_large', 'The file is larger than the allowed 1048576 bytes.', undefined, 'file', { limit: 1048576 });
    assert.strictEqual(errorMessage(intl, err), 'Die Datei ist größer als die erlaubten 1.048.576 Bytes.');
  });

  test('a template path is named as the user reads it, also the field it is compared with', function (assert) {
    const intl = intlIn(this.owner, 'de-de');
    assert.strictEqual(fieldLabel(intl, 'template.segments.0.rules.ageMax'), 'Vorlage › Segment 1 › Regeln › Höchstalter');
    const err = new ApiError(400, 'invalid_input', 'x', 'template.segments.2.rules.ageMax', 'not_greater', { field: 'template.segments.2.rules.ageMax', other: 'ageMin' });
    assert.strictEqual(errorMessage(intl, err), 'Vorlage › Segment 3 › Regeln › Höchstalter: Muss größer sein als Mindestalter.');
    intlIn(this.owner, 'en-us');
    assert.strictEqual(errorMessage(intl, err), 'Template › Segment 3 › Rules › Maximum age: must be greater than Minimum age.');
  });

  test('not_found of each kind, session_expired with its reason', function (assert) {
    const intl = intlIn(this.owner, 'en-us');
    assert.strictEqual(errorMessage(intl, new ApiError(404, 'not_found', 'x', undefined, 'container')), 'This data container does not exist (any more).');
    assert.strictEqual(errorMessage(intl, new ApiError(401, 'session_expired', 'x', undefined, 'ended_by_admin')), 'An administrator ended your session. Please sign in again.');
  });

  test('an import report entry with its line and limit; a failed run by its code', function (assert) {
    const intl = intlIn(this.owner, 'de-de');
    const entry = { line: 7, column: null, code: 'line_too_long', message: 'The line is longer…', params: { limit: 65536 } };
    assert.strictEqual(serverMessage(intl, entry, 'importErrors', { line: 7, column: '' }), 'Zeile 7 ist länger als 65.536 Bytes. Prüfen Sie, ob die Datei ein CSV-Export mit einem Datensatz pro Zeile ist.');
    assert.strictEqual(serverMessage(intl, { code: 'timeout', message: 'x' }, 'calculationErrors'), 'Die Berechnung dauerte länger als erlaubt und wurde abgebrochen. Es wurden keine Ergebnisse gespeichert.');
  });

  test('a code this build does not know: the server’s English sentence, never a raw key', function (assert) {
    const intl = intlIn(this.owner, 'de-de');
    assert.strictEqual(errorMessage(intl, new ApiError(409, 'brand_new_code', 'Something new happened.')), 'Das hat nicht geklappt: Something new happened.');
    assert.strictEqual(serverMessage(intl, { code: 'brand_new', message: 'As sent.' }, 'importErrors'), 'As sent.');
  });
});
