import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { requires } from '../src/http/route-table.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { customRole, grantTo, randomEmail, roleId, vendorTenant, vendorUser } from './helpers/tenancy.js';

let t: TestKontor;
before(async () => {
  t = await startTestKontor({ publicUrl: 'https://kontor.bank.example' });
  // A module route, as the calculation modules will declare them.
  t.kontor.routes.guarded('get', '/test/leasing-probe', requires('leasing', 'read', { module: 'leasing' }), async () => ({ body: { ok: true } }));
});
after(async () => t.close());

async function signIn(u: TestUser): Promise<Client> {
  const c = new Client(t.url);
  assert.equal((await c.login(u.email, u.password)).status, 200);
  return c;
}

async function auditTypes(tenantId: string): Promise<string[]> {
  return inWholeTenant(t.owner, tenantId, async (trx) => (await trx('audit_events').where({ tenant_id: tenantId }).orderBy('id').pluck('type')) as string[]);
}

describe('tenant admins', () => {
  it('invite an analyst who accepts by the mailed link and then has exactly the analyst rights', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const c = await signIn(admin);
    const email = randomEmail();
    const res = await c.post('/api/users', { email, name: 'Anna Analyst', roleIds: [await roleId(t.owner, 'analyst')] });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.roleNames, ['Analyst']);
    const mail = await t.mail.waitFor((m) => m.to.includes(email));
    const link = /https:\/\/kontor\.bank\.example\/invitation\/(\S+)/.exec(mail.text);
    assert.ok(link, 'invitation link with PUBLIC_URL');
    assert.equal((await new Client(t.url).post('/api/auth/invitation', { token: link[1], newPassword: 'anna analyst passphrase' })).status, 204);
    const login = await new Client(t.url).login(email, 'anna analyst passphrase');
    assert.equal(login.status, 200);
    assert.ok(login.body.permissions.includes('containers:write'));
    assert.ok(!login.body.permissions.includes('users:read'));
    assert.ok((await auditTypes(admin.tenantId)).includes('user.invited'));
  });

  it('cannot change their own account or rights', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const c = await signIn(admin);
    for (const res of [
      await c.request('PATCH', `/api/users/${admin.id}`, { roleIds: [await roleId(t.owner, 'analyst')] }),
      await c.request('PATCH', `/api/users/${admin.id}`, { locked: true }),
      await c.delete(`/api/users/${admin.id}`),
    ]) {
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'self_change_forbidden');
    }
  });

  it('assign only roles marked assignable, never one with a vendor-only right', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const c = await signIn(admin);
    const target = await addUser(t, admin.tenantId, { roles: ['reader'] });
    const sneaky = await customRole(t.owner, ['containers:read', 'platform.users:write'], true);
    for (const role of [await roleId(t.owner, 'superadmin'), await roleId(t.owner, 'support'), sneaky]) {
      const res = await c.request('PATCH', `/api/users/${target.id}`, { roleIds: [role] });
      assert.equal(res.status, 403, role);
      assert.equal(res.body.error.code, 'role_not_assignable');
      const invite = await c.post('/api/users', { email: randomEmail(), name: 'X', roleIds: [role] });
      assert.equal(invite.status, 403);
    }
    const roles = await c.get('/api/roles');
    assert.deepEqual(roles.body.map((r: { key: string }) => r.key).filter(Boolean).sort(), ['analyst', 'reader', 'tenant_admin']);
  });

  it('lock and delete: the user cannot sign in, the session dies, a deleted user is listed only on request', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const c = await signIn(admin);
    const locked = await addUser(t, admin.tenantId);
    const lockedClient = await signIn(locked);
    assert.equal((await c.request('PATCH', `/api/users/${locked.id}`, { locked: true })).status, 200);
    assert.equal((await lockedClient.get('/api/auth/session')).status, 401);
    assert.equal((await new Client(t.url).login(locked.email, locked.password)).status, 401);
    assert.equal((await c.post(`/api/users/${locked.id}/unlock`)).status, 204);
    assert.equal((await new Client(t.url).login(locked.email, locked.password)).status, 200);

    const gone = await addUser(t, admin.tenantId, { roles: ['analyst'] });
    const goneClient = await signIn(gone);
    assert.equal((await c.delete(`/api/users/${gone.id}`)).status, 204);
    assert.equal((await goneClient.get('/api/auth/session')).status, 401);
    assert.equal((await new Client(t.url).login(gone.email, gone.password)).status, 401);
    const listed = (await c.get('/api/users')).body.map((u: { id: string }) => u.id);
    assert.ok(!listed.includes(gone.id));
    const all = (await c.get('/api/users?includeDeleted=true')).body as { id: string; status: string; roleIds: string[] }[];
    const row = all.find((u) => u.id === gone.id)!;
    assert.equal(row.status, 'deleted');
    assert.deepEqual(row.roleIds, [], 'rights removed');
    assert.ok(await t.owner('users').where({ id: gone.id }).first(), 'never hard-deleted');
  });

  it('a role removed counts on the very next request with the same token', async () => {
    const analyst = await createTenantWithUser(t, { roles: ['analyst'] });
    const c = await signIn(analyst);
    t.kontor.routes.guarded('get', `/test/containers-probe-${analyst.id.slice(0, 8)}`, requires('containers', 'read'), async () => ({ body: { ok: true } }));
    const probe = `/api/test/containers-probe-${analyst.id.slice(0, 8)}`;
    assert.equal((await c.get(probe)).status, 200);
    await inWholeTenant(t.owner, analyst.tenantId, (trx) => trx('membership_roles').where({ tenant_id: analyst.tenantId, user_id: analyst.id }).delete());
    assert.equal((await c.get(probe)).status, 403);
  });

  it('licence expiry closes the module routes on the next request', async () => {
    const analyst = await createTenantWithUser(t, { roles: ['analyst'] });
    const c = await signIn(analyst);
    assert.equal((await c.get('/api/test/leasing-probe')).body.error.code, 'module_not_licensed');
    const today = t.clock.now().toISOString().slice(0, 10);
    await t.owner('tenant_modules').insert({ tenant_id: analyst.tenantId, module: 'leasing', valid_until: today });
    assert.equal((await c.get('/api/test/leasing-probe')).status, 200, 'valid through its last day');
    const yesterday = new Date(t.clock.now().getTime() - 86_400_000).toISOString().slice(0, 10);
    await t.owner('tenant_modules').where({ tenant_id: analyst.tenantId }).update({ valid_until: yesterday });
    const res = await c.get('/api/test/leasing-probe');
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'module_not_licensed');
  });

  it('export the users with roles and last login for recertification, and audit the export', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const c = await signIn(admin);
    await addUser(t, admin.tenantId, { roles: ['analyst', 'reader'] });
    const res = await c.get('/api/users.csv');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /text\/csv/);
    const lines = (res.body as string).trim().split('\r\n');
    assert.equal(lines[0], 'email;name;status;vendor_staff;roles;departments;last_login_at;created_at');
    assert.equal(lines.length, 3);
    assert.ok(lines.some((l) => l.includes('Analyst, Reader')));
    assert.ok(lines.slice(1).every((l) => l.includes(';Gesamthaus;')), 'each member lists their departments');
    assert.ok((await auditTypes(admin.tenantId)).includes('user.recertification_export'));
  });

  it('email addresses are unique across all banks', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const elsewhere = await createTenantWithUser(t);
    const res = await (await signIn(admin)).post('/api/users', { email: elsewhere.email.toUpperCase(), name: 'Dup', roleIds: [] });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'email_taken');
  });

  it('settings change the idle limit and reject values out of range with the field named', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const c = await signIn(admin);
    const bad = await c.request('PATCH', '/api/settings', { idleMinutes: 500 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'idleMinutes');
    assert.equal((await c.request('PATCH', '/api/settings', { idleMinutes: 5, passwordProfile: 'classic' })).body.idleMinutes, 5);
    assert.equal((await c.get('/api/auth/session')).body.session.idleMinutes, 5);
    t.clock.advanceMinutes(6);
    assert.equal((await c.post('/api/auth/refresh')).status, 401);
  });

  it('read their audit log and sign-in records, filtered and paged, and never another bank’s', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const other = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    await new Client(t.url).login(other.email, 'wrong-password-o');
    const c = await signIn(admin);
    await c.request('PATCH', '/api/settings', { idleMinutes: 20 });
    const events = await c.get('/api/audit/events?type=settings&pageSize=5');
    assert.equal(events.status, 200);
    assert.equal(events.body.items[0].type, 'settings.changed');
    assert.equal(events.body.items[0].actorEmail, admin.email);
    const logins = await c.get('/api/audit/logins');
    assert.ok(logins.body.items.length >= 1);
    assert.ok(logins.body.items.every((l: { userEmail: string }) => l.userEmail === admin.email), 'only this bank');
    assert.equal((await c.get('/api/audit/events?from=yesterday')).status, 400);
  });
});

describe('vendor staff', () => {
  it('a superadmin creates a bank with licences; its first admin is invited by mail', async () => {
    const superadmin = await vendorUser(t, ['superadmin']);
    const c = await signIn(superadmin);
    const adminEmail = randomEmail();
    const res = await c.post('/api/platform/tenants', {
      name: `Sparkasse ${randomEmail()}`, modules: [{ module: 'leasing', validUntil: '2030-12-31' }, { module: 'segmentation' }], admin: { email: adminEmail, name: 'First Admin' },
    });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.modules, [{ module: 'leasing', validUntil: '2030-12-31' }, { module: 'segmentation', validUntil: null }]);
    const mail = await t.mail.waitFor((m) => m.to.includes(adminEmail));
    assert.match(mail.text, /invitation\//);
    assert.ok((await auditTypes(res.body.id)).includes('tenant.created'));
    const patched = await c.request('PATCH', `/api/platform/tenants/${res.body.id}`, {
      modules: [{ module: 'segmentation', validUntil: '2027-06-30' }], settings: { idleMinutes: 15, passwordProfile: 'classic' },
    });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.modules, [{ module: 'segmentation', validUntil: '2027-06-30' }]);
    const settings = await inWholeTenant(t.owner, res.body.id, (trx) => trx('tenant_settings').where({ tenant_id: res.body.id }).first('idle_minutes', 'password_profile'));
    assert.deepEqual(settings, { idle_minutes: 15, password_profile: 'classic' });
    const dup = await c.post('/api/platform/tenants', { name: res.body.name.toUpperCase(), admin: { email: randomEmail(), name: 'X' } });
    assert.equal(dup.status, 409);
  });

  it('support switches into a granted bank: the old token dies and both tenants record it', async () => {
    const bank = await createTenantWithUser(t);
    const support = await vendorUser(t, ['support']);
    await grantTo(t, support, bank.tenantId, ['reader']);
    const c = await signIn(support);
    const old = c.cookie!;
    const session = (await c.get('/api/auth/session')).body;
    assert.ok(session.tenants.some((x: { id: string }) => x.id === bank.tenantId), 'the switcher lists the granted bank');
    const res = await c.post('/api/auth/switch-tenant', { tenantId: bank.tenantId });
    assert.equal(res.status, 200);
    assert.equal(res.body.tenant.id, bank.tenantId);
    assert.ok(res.body.permissions.includes('containers:read'));
    assert.ok(!res.body.permissions.some((p: string) => p.startsWith('platform.')));
    const stale = new Client(t.url);
    stale.cookie = old;
    assert.equal((await stale.get('/api/auth/session')).status, 401, 'old token dead at once');
    assert.ok((await auditTypes(bank.tenantId)).includes('auth.tenant_switch_in'));
    assert.ok((await auditTypes(await vendorTenant(t.owner))).includes('auth.tenant_switch_out'));
    const users = (await (await signIn(await addUser(t, bank.tenantId, { roles: ['tenant_admin'] }))).get('/api/users')).body;
    assert.equal(users.find((u: { id: string }) => u.id === support.id).vendorStaff, true, 'the bank sees vendor staff with access');
  });

  it('cannot switch into a bank without a grant, nor can bank staff switch at all', async () => {
    const bank = await createTenantWithUser(t);
    const support = await vendorUser(t, ['support']);
    const res = await (await signIn(support)).post('/api/auth/switch-tenant', { tenantId: bank.tenantId });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'no_grant');
    const other = await createTenantWithUser(t);
    assert.equal((await (await signIn(bank)).post('/api/auth/switch-tenant', { tenantId: other.tenantId })).status, 403);
  });

  it('grants are given and revoked by platform.users:write, never to oneself; revoking ends access', async () => {
    const bank = await createTenantWithUser(t);
    const admin = await vendorUser(t, ['administration']);
    const support = await vendorUser(t, ['support']);
    const c = await signIn(admin);
    const reader = await roleId(t.owner, 'reader');
    assert.equal((await c.post(`/api/platform/users/${admin.id}/grants/${bank.tenantId}`, { roleIds: [reader] })).body.error.code, 'self_change_forbidden');
    assert.equal((await c.post(`/api/platform/users/${support.id}/grants/${bank.tenantId}`, { roleIds: [await roleId(t.owner, 'superadmin')] })).status, 403);
    assert.equal((await c.post(`/api/platform/users/${support.id}/grants/${bank.tenantId}`, { roleIds: [reader] })).status, 204);
    const s = await signIn(support);
    assert.equal((await s.post('/api/auth/switch-tenant', { tenantId: bank.tenantId })).status, 200);
    assert.equal((await c.delete(`/api/platform/users/${support.id}/grants/${bank.tenantId}`)).status, 204);
    assert.equal((await s.get('/api/auth/session')).status, 401, 'the session in the bank ended with the grant');
    assert.ok((await auditTypes(bank.tenantId)).includes('grant.revoked'));
  });

  it('roles: built-in ones are fixed, one held by the actor cannot be changed, vendor rights stay out of bank roles', async () => {
    const superadmin = await vendorUser(t, ['superadmin']);
    const c = await signIn(superadmin);
    assert.equal((await c.request('PATCH', `/api/platform/roles/${await roleId(t.owner, 'analyst')}`, { rights: ['containers:read'] })).body.error.code, 'builtin_role');
    const bad = await c.post('/api/platform/roles', { name: `r ${randomEmail()}`, assignableInTenants: true, rights: ['platform.tenants:read'] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'rights');
    assert.equal((await c.post('/api/platform/roles', { name: `r ${randomEmail()}`, rights: ['nonsense:read'] })).status, 400);
    const created = await c.post('/api/platform/roles', { name: `Auditor ${randomEmail()}`, assignableInTenants: true, rights: ['audit:read'] });
    assert.equal(created.status, 201);
    const held = await customRole(t.owner, ['platform.roles:write', 'platform.roles:read'], false);
    await inWholeTenant(t.owner, superadmin.tenantId, (trx) => trx('membership_roles').insert({ tenant_id: superadmin.tenantId, user_id: superadmin.id, role_id: held }));
    assert.equal((await c.request('PATCH', `/api/platform/roles/${held}`, { rights: ['platform.roles:read'] })).body.error.code, 'self_change_forbidden');
  });
});
