import { module, test } from 'qunit';
import { setupTest } from 'frontend/tests/helpers';
import type IntlService from 'ember-intl/services/intl';
import { auditDetailsText } from 'frontend/utils/audit-details';
import { describeApproval, type Approval } from 'frontend/components/approvals-list';

module('Unit | Utility | audit-details', function (hooks) {
  setupTest(hooks);

  function intlIn(owner: { lookup(name: string): unknown }, locale: 'de-de' | 'en-us'): IntlService {
    (owner.lookup('service:locale') as { use(l: string): void }).use(locale);
    return owner.lookup('service:intl') as IntlService;
  }

  test('details in the language of the screen: labels, kinds, numbers and durations in the locale, no ids', function (assert) {
    const intl = intlIn(this.owner, 'de-de');
    const calculation = { calculation: '44dc0718-0424-48da-aa20-4e8761164196', kind: 'leasing', groups: 3000, results: 472, durationMs: 721 };
    assert.strictEqual(auditDetailsText(intl, 'calculation.succeeded', calculation), 'Art: Leasing-Potenzial, Kundenverbünde: 3.000, Ergebnisse: 472, Dauer: 0,7 s');
    assert.strictEqual(auditDetailsText(intl, 'import.succeeded', { import: '7f9418b6-f853-4c17-a25a-6e0c1e776a89', kind: 'customer_groups', rows: 203, errors: 0 }), 'Art: Kundenverbünde, Zeilen: 203, Fehler: 0');
    assert.strictEqual(auditDetailsText(intl, 'calculation.started', { kind: 'segmentation', template: null }), 'Art: Segmentierung', 'an empty value is left out');
    assert.strictEqual(auditDetailsText(intl, 'settings.changed', { fields: 'idleMinutes,fourEyes' }), 'Felder: Abmeldung nach Inaktivität, Vier-Augen-Prinzip');
    assert.strictEqual(auditDetailsText(intl, 'settings.directory_changed', { method: 'ldap', required: 'true' }), 'Verfahren: LDAP, verpflichtend: ja');
    assert.strictEqual(auditDetailsText(intl, 'auth.passkey_added', { passkey: '3a464e0c-d1ae-456e-b9d4-e3f39f5e4345' }), '');
    assert.strictEqual(auditDetailsText(intl, 'some.future_event', { newThing: 'x' }), 'newThing: x', 'an unknown detail stays readable');
    intlIn(this.owner, 'en-us');
    assert.strictEqual(auditDetailsText(intl, 'calculation.succeeded', calculation), 'kind: Leasing potential, customer groups: 3,000, results: 472, duration: 0.7 s');
  });

  test('a pending change says what it does in the language of the screen: setting names, built-in roles, a lock', function (assert) {
    const intl = intlIn(this.owner, 'de-de');
    const approval = (summary: Record<string, unknown>) => ({ summary } as unknown as Approval);
    assert.strictEqual(describeApproval(intl, approval({ changes: { idleMinutes: { from: 30, to: 17 }, fourEyes: { from: false, to: true } } })), 'Abmeldung nach Inaktivität: 30 → 17; Vier-Augen-Prinzip: nein → ja');
    assert.strictEqual(describeApproval(intl, approval({ email: 'a@bank.example', addedRoles: ['Tenant admin'], removedRoles: [], locked: true })), 'a@bank.example · + Institutsadministration · sperren');
  });
});
