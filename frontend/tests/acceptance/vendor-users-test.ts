import { module, test } from 'qunit';
import type Owner from '@ember/owner';
import { visit, click, fillIn, select } from '@ember/test-helpers';
import { setupApplicationTest } from 'frontend/tests/helpers';
import { ApiError, fakeApi, sessionInfo } from 'frontend/tests/helpers/fake-api';

type Call = { method: string; path: string; body: unknown };
interface Row { id: string; email: string; name: string; status: string; roleNames: string[]; grants: { tenantId: string; tenantName: string }[] }

const roles = [
  { id: 'r-support', name: 'Support', assignableInTenants: false, vendorOnly: true },
  { id: 'r-admin', name: 'Bank admin', assignableInTenants: true, vendorOnly: false },
  { id: 'r-analyst', name: 'Analyst', assignableInTenants: true, vendorOnly: false },
  { id: 'r-vendor-bank', name: 'Vendor in bank', assignableInTenants: true, vendorOnly: true },
];
const tenants = [
  { id: 't-vendor', name: 'Kontor', isVendor: true, active: true, modules: [] },
  { id: 't-ost', name: 'Sparkasse Ostufer', isVendor: false, active: true, modules: [] },
  { id: 't-west', name: 'Sparkasse Westtal', isVendor: false, active: true, modules: [] },
  { id: 't-old', name: 'Sparkasse Alt', isVendor: false, active: false, modules: [] },
];
const superadmin = (write = true) => sessionInfo({
  user: { id: 'u-self', email: 'chef@kontor.example', name: 'Chef' },
  tenant: { id: 't-vendor', name: 'Kontor', isVendor: true },
  permissions: ['platform.users:read', 'platform.tenants:read', ...(write ? ['platform.users:write'] : [])],
});

module('Acceptance | vendor users', function (hooks) {
  setupApplicationTest(hooks);

  hooks.beforeEach(function () {
    this.owner.lookup('service:locale').setup(['en-US']);
  });

  function serve(owner: Owner, users: Row[], calls: Call[], write = true) {
    owner.register('service:api', fakeApi({
      'GET /auth/session': () => superadmin(write),
      'GET /platform/users': () => users.map((u) => ({ ...u, grants: [...u.grants] })),
      'GET /roles': () => roles,
      'GET /platform/tenants': () => tenants,
      'POST /platform/users': (body: { email: string; name: string }) => {
        if (users.some((u) => u.email === body.email)) throw new ApiError(409, 'email_taken', 'This email address is already in use.');
        users.push({ id: `u-${users.length + 1}`, email: body.email, name: body.name, status: 'active', roleNames: ['Support'], grants: [] });
        return { id: 'new' };
      },
      'POST /platform/users/u-sven/grants/t-west': () => {
        users.find((u) => u.id === 'u-sven')!.grants.push({ tenantId: 't-west', tenantName: 'Sparkasse Westtal' });
        return {};
      },
      'DELETE /platform/users/u-sven/grants/t-ost': () => {
        const sven = users.find((u) => u.id === 'u-sven')!;
        sven.grants = sven.grants.filter((g) => g.tenantId !== 't-ost');
        return undefined;
      },
    }, calls));
  }

  const people = (): Row[] => [
    { id: 'u-self', email: 'chef@kontor.example', name: 'Chef', status: 'active', roleNames: ['Superadmin'], grants: [] },
    { id: 'u-sven', email: 'sven@kontor.example', name: 'Sven Support', status: 'active', roleNames: ['Support'], grants: [{ tenantId: 't-ost', tenantName: 'Sparkasse Ostufer' }] },
  ];

  test('lists the staff; only active banks and bank roles (not vendor-only) can be granted; never on oneself', async function (assert) {
    serve(this.owner, people(), []);
    await visit('/platform/users');
    assert.dom('[data-test-vendor-user]').exists({ count: 2 });
    assert.dom('[data-test-vendor-user="sven@kontor.example"] [data-test-grant-name]').hasText('Sparkasse Ostufer');
    const banks = [...document.querySelectorAll('[data-test-vendor-user="sven@kontor.example"] [data-test-grant-tenant] option')].map((o) => o.textContent?.trim());
    assert.deepEqual(banks, ['Sparkasse Ostufer', 'Sparkasse Westtal'], 'neither the vendor itself nor an inactive bank');
    const bankRoles = [...document.querySelectorAll('[data-test-vendor-user="sven@kontor.example"] [data-test-grant-role] option')].map((o) => o.textContent?.trim());
    assert.deepEqual(bankRoles, ['Bank admin', 'Analyst']);
    const inviteRoles = [...document.querySelectorAll('#v-role option')].map((o) => o.textContent?.trim());
    assert.deepEqual(inviteRoles, ['', 'Support'], 'an invitation offers vendor roles only');
    assert.dom('[data-test-vendor-user="chef@kontor.example"] [data-test-grant]').doesNotExist('no grant controls on oneself');
    assert.dom('[data-test-vendor-user="chef@kontor.example"] [data-test-vendor-user-actions]').doesNotExist();
  });

  test('invite sends name, email and the chosen role, clears the form and shows the new member from the server', async function (assert) {
    const calls: Call[] = [];
    serve(this.owner, people(), calls);
    await visit('/platform/users');
    await fillIn('#v-name', 'Vera Support');
    await fillIn('#v-email', 'vera@kontor.example');
    await select('#v-role', 'r-support');
    await click('[data-test-create-vendor-user] button[type="submit"]');
    assert.deepEqual(calls.find((c) => c.method === 'POST')!.body, { email: 'vera@kontor.example', name: 'Vera Support', roleIds: ['r-support'] });
    assert.dom('[data-test-notice]').hasText('The invitation has been sent.');
    assert.dom('[data-test-vendor-user="vera@kontor.example"]').exists('the list is read again');
    assert.dom('#v-name').hasValue('');
    assert.dom('#v-email').hasValue('');

    // A refused invitation says why in the UI language and keeps what was typed.
    await fillIn('#v-name', 'Sven Again');
    await fillIn('#v-email', 'sven@kontor.example');
    await click('[data-test-create-vendor-user] button[type="submit"]');
    assert.dom('[data-test-form-error]').exists();
    assert.dom('[data-test-notice]').doesNotExist();
    assert.dom('#v-email').hasValue('sven@kontor.example');
  });

  test('grant sends the chosen bank and role; revoke asks once more, then removes the grant', async function (assert) {
    const calls: Call[] = [];
    serve(this.owner, people(), calls);
    await visit('/platform/users');
    const row = '[data-test-vendor-user="sven@kontor.example"]';
    await select(`${row} [data-test-grant-tenant]`, 't-west');
    await select(`${row} [data-test-grant-role]`, 'r-analyst');
    await click(`${row} [data-test-grant]`);
    const grant = calls.find((c) => c.method === 'POST')!;
    assert.strictEqual(grant.path, '/platform/users/u-sven/grants/t-west');
    assert.deepEqual(grant.body, { roleIds: ['r-analyst'] });
    assert.dom(`${row} [data-test-grant-name]`).exists({ count: 2 });
    assert.dom('[data-test-notice]').hasText('Access granted.');

    await click(`${row} [data-test-vendor-user-actions] [data-test-dropdown-toggle]`);
    await click(`${row} [data-test-revoke="Sparkasse Ostufer"]`);
    assert.false(calls.some((c) => c.method === 'DELETE'), 'nothing revoked before the confirmation');
    await click(`${row} [data-test-confirm-yes]`);
    assert.true(calls.some((c) => c.method === 'DELETE' && c.path === '/platform/users/u-sven/grants/t-ost'));
    assert.dom(`${row} [data-test-grant-name]`).hasText('Sparkasse Westtal');
    assert.dom('[data-test-notice]').hasText('Access revoked.');
  });

  test('read-only: no invitation form, no grant or revoke controls', async function (assert) {
    serve(this.owner, people(), [], false);
    await visit('/platform/users');
    assert.dom('[data-test-vendor-user]').exists({ count: 2 });
    assert.dom('[data-test-create-vendor-user]').doesNotExist();
    assert.dom('[data-test-grant]').doesNotExist();
    assert.dom('[data-test-vendor-user-actions]').doesNotExist();
  });
});
