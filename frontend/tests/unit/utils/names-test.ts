import { module, test } from 'qunit';
import { setupTest } from 'frontend/tests/helpers';
import type IntlService from 'ember-intl/services/intl';
import { auditTypeName, describeUserAgent, loginReasonName, rightName, roleName, roleNamesText, segmentName, userAgentName } from 'frontend/utils/names';

module('Unit | Utility | names', function (hooks) {
  setupTest(hooks);

  function intlIn(owner: { lookup(name: string): unknown }, locale: 'de-de' | 'en-us'): IntlService {
    (owner.lookup('service:locale') as { use(l: string): void }).use(locale);
    return owner.lookup('service:intl') as IntlService;
  }

  test('built-in roles and rights by name, never the raw identifier; a bank role as it is called', function (assert) {
    const intl = intlIn(this.owner, 'de-de');
    assert.strictEqual(roleName(intl, { key: 'tenant_admin', name: 'Tenant admin' }), 'Institutsadministration');
    assert.strictEqual(roleName(intl, 'Analyst'), 'Analyse', 'a list with names only still finds the built-in role');
    assert.strictEqual(roleName(intl, { key: null, name: 'Filialleitung' }), 'Filialleitung');
    assert.strictEqual(roleNamesText(intl, 'Reader, Filialleitung'), 'Lesezugriff, Filialleitung');
    assert.strictEqual(rightName(intl, 'containers:read'), 'Datencontainer: lesen');
    assert.strictEqual(rightName(intl, 'platform.tenants:write'), 'Institute: ändern');
    assert.strictEqual(rightName(intl, 'nonsense:read'), 'nonsense:read');
    intlIn(this.owner, 'en-us');
    assert.strictEqual(rightName(intl, 'containers:write'), 'Data containers: change');
  });

  test('audit types and the unassigned segment in the language of the screen', function (assert) {
    const intl = intlIn(this.owner, 'de-de');
    assert.strictEqual(auditTypeName(intl, 'container.created'), 'Datencontainer angelegt');
    assert.strictEqual(auditTypeName(intl, 'vendor.access_requested'), 'Herstellerzugriff angefragt');
    assert.strictEqual(auditTypeName(intl, 'some.future_event'), 'some.future_event', 'an unknown type stays readable');
    assert.strictEqual(segmentName(intl, { segment: 'unassigned', kut: 0 }), 'Nicht zugeordnet');
    assert.strictEqual(segmentName(intl, { segment: 'unassigned', kut: 3 }), 'unassigned', 'a segment a template named so keeps its name');
    intlIn(this.owner, 'en-us');
    assert.strictEqual(segmentName(intl, { segment: 'unassigned', kut: 0 }), 'Unassigned');
  });

  test('sign-in reasons in the language of the screen; an unknown one stays readable', function (assert) {
    const intl = intlIn(this.owner, 'de-de');
    assert.strictEqual(loginReasonName(intl, 'wrong_password'), 'Falsches Passwort');
    assert.strictEqual(loginReasonName(intl, 'ok_ldap'), 'Angemeldet über das Verzeichnis (LDAP)');
    assert.strictEqual(loginReasonName(intl, 'some_future_reason'), 'some_future_reason');
    assert.strictEqual(loginReasonName(intl, null), '');
    intlIn(this.owner, 'en-us');
    assert.strictEqual(loginReasonName(intl, 'passkey_cloned'), 'Passkey refused: copied authenticator suspected');
  });

  test('user agents as a person says them', function (assert) {
    const cases: [string, string | null, string | null][] = [
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox 128', 'Windows'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome 131', 'Windows'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86', 'Edge 131', 'Windows'],
      ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', 'Safari 18', 'macOS'],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1', 'Safari 18', 'iOS'],
      ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome 131', 'Android'],
      ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 'Chrome 131', 'Linux'],
      ['curl/8.5.0', 'curl 8.5', null],
    ];
    for (const [ua, browser, os] of cases) assert.deepEqual(describeUserAgent(ua), { browser: browser!, os }, ua);
    assert.strictEqual(describeUserAgent(''), null);
    assert.strictEqual(describeUserAgent('%%%'), null);
    const intl = intlIn(this.owner, 'de-de');
    assert.strictEqual(userAgentName(intl, cases[0]![0]), 'Firefox 128 auf Windows');
    assert.strictEqual(userAgentName(intl, null), 'Unbekannter Browser');
    intlIn(this.owner, 'en-us');
    assert.strictEqual(userAgentName(intl, cases[0]![0]), 'Firefox 128 on Windows');
  });
});
