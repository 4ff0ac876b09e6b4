import { module, test } from 'qunit';
import { bodyOf, draftOf, type DirectoryView } from 'frontend/utils/directory';

const ldapSearch: DirectoryView = {
  method: 'ldap', emailDomains: ['a.example', 'b.example'], required: true, jit: false, groupRoles: { admins: ['r1'] }, redirectUri: '',
  ldap: { url: 'ldaps://l.example', startTls: false, caPem: null, bindDnTemplate: null, searchBase: 'ou=p', searchFilter: '(mail={email})', searchDn: 'cn=svc', searchPasswordSet: true, groupAttribute: 'memberOf' },
};

module('Unit | Utility | directory', function () {
  test('a stored directory round-trips; a secret is sent only when typed', function (assert) {
    const draft = draftOf(ldapSearch);
    assert.strictEqual(draft.ldapMode, 'search');
    assert.strictEqual(draft.domains, 'a.example, b.example');
    const body = bodyOf(draft);
    assert.deepEqual(body, {
      method: 'ldap', emailDomains: ['a.example', 'b.example'], required: true, jit: false, groupRoles: { admins: ['r1'] },
      url: 'ldaps://l.example', startTls: false, caPem: null, groupAttribute: 'memberOf', bindDnTemplate: null,
      searchBase: 'ou=p', searchFilter: '(mail={email})', searchDn: 'cn=svc',
    });
    assert.strictEqual(bodyOf({ ...draft, text: { ...draft.text, searchPassword: 'pw' } })['searchPassword'], 'pw');
  });

  test('template mode sends no search fields; empty group rows and rows without roles are dropped; domains split on , ; and spaces', function (assert) {
    const draft = draftOf(ldapSearch);
    const body = bodyOf({
      ...draft, ldapMode: 'template', domains: 'x.example; y.example  z.example,',
      text: { ...draft.text, bindDnTemplate: ' uid={local},ou=p ', searchPassword: 'ignored' },
      groups: [{ group: ' admins ', roleIds: ['r1'] }, { group: '', roleIds: ['r2'] }, { group: 'none', roleIds: [] }],
    });
    assert.deepEqual(body['emailDomains'], ['x.example', 'y.example', 'z.example']);
    assert.deepEqual(body['groupRoles'], { admins: ['r1'] });
    assert.strictEqual(body['bindDnTemplate'], 'uid={local},ou=p');
    assert.strictEqual(body['searchBase'], null);
    assert.notOk('searchPassword' in body);
  });

  test('a new OIDC directory: defaults for the claims, no secret key when empty', function (assert) {
    const body = bodyOf({ ...draftOf(null), text: { ...draftOf(null).text, issuer: ' https://idp ', clientId: 'k', emailClaim: ' ' } });
    assert.deepEqual(body, { method: 'oidc', emailDomains: [], required: false, jit: false, groupRoles: {}, issuer: 'https://idp', clientId: 'k', emailClaim: 'email', groupsClaim: null });
  });
});
