import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { expireApprovals } from '../src/approvals/four-eyes.js';
import { inTenant, inWholeTenant } from '../src/db/tenant-transaction.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { capturingLogger } from './helpers/logger.js';
import { defaultDepartment } from './helpers/departments.js';
import { randomEmail, roleId, vendorUser } from './helpers/tenancy.js';

/** Issue 17 item 2: privileged changes wait for a second, different admin of the same bank. */

let t: TestKontor;
before(async () => {
  t = await startTestKontor({ publicUrl: 'https://kontor.bank.example' });
});
after(async () => t.close());

async function signIn(u: TestUser): Promise<Client> {
  const c = new Client(t.url);
  assert.equal((await c.login(u.email, u.password)).status, 200, `sign-in of ${u.email}`);
  return c;
}

async function auditTypes(tenantId: string): Promise<string[]> {
  return inTenant(t.owner, tenantId, async (trx) => (await trx('audit_events').where({ tenant_id: tenantId }).orderBy('id').pluck('type')) as string[]);
}

/** A bank with four-eyes on and two admins (each signed in). */
async function bankWithTwoAdmins(): Promise<{ tenantId: string; a: Client; b: Client; adminA: TestUser; adminB: TestUser }> {
  const adminA = await createTenantWithUser(t, { roles: ['tenant_admin'], settings: { four_eyes: true } });
  const adminB = await addUser(t, adminA.tenantId, { roles: ['tenant_admin'] });
  return { tenantId: adminA.tenantId, a: await signIn(adminA), b: await signIn(adminB), adminA, adminB };
}

async function rolesOf(tenantId: string, userId: string): Promise<string[]> {
  return inTenant(t.owner, tenantId, async (trx) => (await trx('membership_roles as mr').join('roles as r', 'r.id', 'mr.role_id')
    .where({ 'mr.tenant_id': tenantId, 'mr.user_id': userId }).orderBy('r.key').pluck('r.key')) as string[]);
}

describe('four-eyes', () => {
  it('is on for a bank the vendor creates now', async () => {
    const superadmin = await vendorUser(t, ['superadmin']);
    const c = await signIn(superadmin);
    const res = await c.post('/api/platform/tenants', { name: `Sparkasse ${randomUUID()}`, modules: [], admin: { email: randomEmail(), name: 'Admin' } });
    assert.equal(res.status, 201);
    const row = await inTenant(t.owner, res.body.id, (trx) => trx('tenant_settings').where({ tenant_id: res.body.id }).first('four_eyes'));
    assert.equal(row.four_eyes, true);
  });

  it('applies at once while the bank has one admin: the settings page says so, and the second admin is invited without approval', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'], settings: { four_eyes: true } });
    const c = await signIn(admin);
    const before = await c.get('/api/settings');
    assert.equal(before.body.fourEyes, true);
    assert.equal(before.body.fourEyesInEffect, false);
    const invite = await c.post('/api/users', { email: randomEmail(), name: 'Second Admin', roleIds: [await roleId(t.owner, 'tenant_admin')] });
    assert.equal(invite.status, 201, 'the second admin needs no approval');
    assert.equal((await c.get('/api/settings')).body.fourEyesInEffect, true);
  });

  it('an admin inviting an analyst gives a pending change; the analyst cannot sign in with data rights until a second admin approves', async () => {
    const { tenantId, a, b } = await bankWithTwoAdmins();
    const email = randomEmail();
    const analyst = await roleId(t.owner, 'analyst');
    const noReason = await a.post('/api/users', { email, name: 'Anna Analyst', roleIds: [analyst] });
    assert.equal(noReason.status, 400);
    assert.equal(noReason.body.error.code, 'approval_reason_required');

    const res = await a.post('/api/users', { email, name: 'Anna Analyst', roleIds: [analyst], reason: 'New colleague in sales controlling' });
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'pending');
    const approvalId = res.body.approvalId as string;
    // Nothing exists yet: no account, no invitation, no sign-in.
    assert.equal((await new Client(t.url).login(email, 'any passphrase at all')).status, 401);
    assert.equal(await t.owner('users').where({ email }).first('id'), undefined);
    assert.ok(!t.mail.mails.some((m) => m.to.includes(email)), 'no invitation before approval');

    const listed = (await b.get('/api/approvals')).body as { id: string; status: string; canDecide: boolean; summary: { email: string } }[];
    const item = listed.find((x) => x.id === approvalId)!;
    assert.equal(item.status, 'pending');
    assert.equal(item.canDecide, true);
    assert.equal(item.summary.email, email);
    assert.equal((await a.get('/api/approvals')).body.find((x: { id: string }) => x.id === approvalId).canDecide, false);

    const own = await a.post(`/api/approvals/${approvalId}/approve`);
    assert.equal(own.status, 403, 'the proposer cannot approve');
    assert.equal(own.body.error.code, 'approval_own_change');

    const ok = await b.post(`/api/approvals/${approvalId}/approve`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, 'approved');
    const mail = await t.mail.waitFor((m) => m.to.includes(email));
    const link = /invitation\/(\S+)/.exec(mail.text)!;
    assert.equal((await new Client(t.url).post('/api/auth/invitation', { token: link[1], newPassword: 'anna analyst passphrase' })).status, 204);
    const login = await new Client(t.url).login(email, 'anna analyst passphrase');
    assert.equal(login.status, 200);
    assert.ok(login.body.permissions.includes('export:read'));
    const types = await auditTypes(tenantId);
    for (const type of ['approval.proposed', 'approval.approved', 'user.invited', 'approval.applied']) assert.ok(types.includes(type), type);
    assert.ok(types.indexOf('approval.approved') < types.indexOf('approval.applied'));
    assert.equal((await b.post(`/api/approvals/${approvalId}/approve`)).status, 409, 'decided once');
  });

  it('holds back assigning and removing a privileged role, and locking out an admin; unprivileged changes apply at once', async () => {
    const { tenantId, a, b, adminB } = await bankWithTwoAdmins();
    const reader = await addUser(t, tenantId, { roles: ['reader'] });
    const plain = await a.request('PATCH', `/api/users/${reader.id}`, { name: 'Renamed Reader' });
    assert.equal(plain.status, 200, 'renaming is not privileged');
    const assign = await a.request('PATCH', `/api/users/${reader.id}`, { roleIds: [await roleId(t.owner, 'analyst')], reason: 'Moves to analysis' });
    assert.equal(assign.status, 202);
    assert.deepEqual(await rolesOf(tenantId, reader.id), ['reader'], 'not applied before approval');
    const remove = await a.request('PATCH', `/api/users/${adminB.id}`, { roleIds: [], reason: 'Leaves the bank' });
    assert.equal(remove.status, 202);
    const lock = await a.request('PATCH', `/api/users/${adminB.id}`, { locked: true, reason: 'Suspicious activity' });
    assert.equal(lock.status, 202);
    const del = await a.request('DELETE', `/api/users/${adminB.id}`, { reason: 'Leaves the bank' });
    assert.equal(del.status, 202);
    // The one concerned cannot approve what is done to them.
    const self = await b.post(`/api/approvals/${remove.body.approvalId}/approve`);
    assert.equal(self.status, 403);
    assert.equal(self.body.error.code, 'self_change_forbidden');
    assert.equal((await b.post(`/api/approvals/${assign.body.approvalId}/approve`)).status, 200);
    assert.deepEqual(await rolesOf(tenantId, reader.id), ['analyst']);
  });

  it('holds back a security setting until approved; a rejected change is never applied', async () => {
    const { a, b } = await bankWithTwoAdmins();
    const res = await a.request('PATCH', '/api/settings', { idleMinutes: 90, reason: 'Longer sessions for the branch office' });
    assert.equal(res.status, 202);
    assert.equal((await a.get('/api/settings')).body.idleMinutes, 30);
    const off = await a.request('PATCH', '/api/settings', { fourEyes: false, reason: 'We do not want this' });
    assert.equal(off.status, 202, 'switching four-eyes off needs approval too');
    assert.equal((await b.post(`/api/approvals/${off.body.approvalId}/reject`)).status, 200);
    assert.equal((await b.post(`/api/approvals/${off.body.approvalId}/approve`)).status, 409);
    assert.equal((await a.get('/api/settings')).body.fourEyes, true);
    assert.equal((await b.post(`/api/approvals/${res.body.approvalId}/approve`)).status, 200);
    assert.equal((await a.get('/api/settings')).body.idleMinutes, 90);
  });

  it('expires a change after 7 days: it can no longer be approved', async () => {
    const { tenantId, a } = await bankWithTwoAdmins();
    const res = await a.request('PATCH', '/api/settings', { passwordProfile: 'classic', reason: 'Audit finding 2026-12' });
    assert.equal(res.status, 202);
    t.clock.advanceMinutes(7 * 24 * 60 - 2);
    // Fresh sessions: the old ones are past their limits after a week.
    const b2 = await signIn(await addUser(t, tenantId, { roles: ['tenant_admin'] }));
    assert.equal((await b2.get('/api/approvals')).body.find((x: { id: string }) => x.id === res.body.approvalId).status, 'pending', 'still pending just before');
    t.clock.advanceMinutes(3);
    const late = await b2.post(`/api/approvals/${res.body.approvalId}/approve`);
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'approval_expired');
    assert.ok((await expireApprovals({ db: t.db, clock: t.clock, logger: capturingLogger().logger })) >= 1);
    const row = await inTenant(t.owner, tenantId, (trx) => trx('approvals').where({ tenant_id: tenantId, id: res.body.approvalId }).first('status'));
    assert.equal(row.status, 'expired');
    assert.ok((await auditTypes(tenantId)).includes('approval.expired'));
    assert.equal((await b2.get('/api/settings')).body.passwordProfile, 'standard');
  });

  it('re-validates at approval: a proposer who lost the right meanwhile gets nothing applied', async () => {
    const { tenantId, a, b, adminA } = await bankWithTwoAdmins();
    const reader = await addUser(t, tenantId, { roles: ['reader'] });
    const res = await a.request('PATCH', `/api/users/${reader.id}`, { roleIds: [await roleId(t.owner, 'analyst')], reason: 'Moves to analysis' });
    assert.equal(res.status, 202);
    // adminA loses their admin role (directly in the database, as if by another approved change).
    await inTenant(t.owner, tenantId, (trx) => trx('membership_roles').where({ tenant_id: tenantId, user_id: adminA.id }).delete());
    const ok = await b.post(`/api/approvals/${res.body.approvalId}/approve`);
    assert.equal(ok.status, 409);
    assert.equal(ok.body.error.code, 'approval_failed');
    assert.deepEqual(await rolesOf(tenantId, reader.id), ['reader']);
    const row = await inTenant(t.owner, tenantId, (trx) => trx('approvals').where({ tenant_id: tenantId, id: res.body.approvalId }).first('status', 'failure_code'));
    assert.equal(row.status, 'failed');
  });

  it('deletes a container that has results only after a second person approves', async () => {
    const analystA = await createTenantWithUser(t, { roles: ['analyst'], settings: { four_eyes: true } });
    const analystB = await addUser(t, analystA.tenantId, { roles: ['analyst'] });
    const tenantId = analystA.tenantId;
    const containerId = randomUUID();
    const departmentId = await defaultDepartment(t.owner, tenantId);
    await inWholeTenant(t.owner, tenantId, async (trx) => {
      await trx('containers').insert({ tenant_id: tenantId, department_id: departmentId, id: containerId, name: 'Bestand 2026' });
      await trx('calculations').insert({
        tenant_id: tenantId, department_id: departmentId, id: randomUUID(), container_id: containerId, kind: 'leasing', definition: '{}', status: 'succeeded', created_at: new Date(),
      });
    });
    const a = await signIn(analystA);
    const res = await a.request('DELETE', `/api/containers/${containerId}`, { reason: 'Wrong reference date' });
    assert.equal(res.status, 202);
    assert.equal((await a.get(`/api/containers/${containerId}`)).status, 200);
    const b = await signIn(analystB);
    assert.equal((await b.post(`/api/approvals/${res.body.approvalId}/approve`)).status, 200);
    assert.equal((await a.get(`/api/containers/${containerId}`)).status, 404);
  });

  it('applies one change exactly once under 24 parallel approvals (repeated)', async () => {
    for (let round = 0; round < 3; round += 1) {
      const { tenantId, a, b } = await bankWithTwoAdmins();
      const third = await signIn(await addUser(t, tenantId, { roles: ['tenant_admin'] }));
      const reader = await addUser(t, tenantId, { roles: ['reader'] });
      const res = await a.request('PATCH', `/api/users/${reader.id}`, { roleIds: [await roleId(t.owner, 'analyst')], reason: 'Moves to analysis' });
      assert.equal(res.status, 202);
      const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? b : third).post(`/api/approvals/${res.body.approvalId}/approve`)));
      const statuses = answers.map((r) => r.status).sort();
      assert.equal(statuses.filter((s) => s === 200).length, 1, `one approval wins: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 409).length, 23);
      const types = await auditTypes(tenantId);
      assert.equal(types.filter((x) => x === 'approval.applied').length, 1);
      assert.equal(types.filter((x) => x === 'user.roles_changed').length, 1);
    }
  });

  it('leaves banks without four-eyes as they were', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    await addUser(t, admin.tenantId, { roles: ['tenant_admin'] });
    const c = await signIn(admin);
    const res = await c.post('/api/users', { email: randomEmail(), name: 'Direct Analyst', roleIds: [await roleId(t.owner, 'analyst')] });
    assert.equal(res.status, 201);
  });
});
