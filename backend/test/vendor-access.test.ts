import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inTenant } from '../src/db/tenant-transaction.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { grantTo, vendorUser } from './helpers/tenancy.js';

/**
 * Vendor access requests (issue 17 item 1): the bank's mode decides; the switch and every request
 * in the bank need an open approved window; the bank sees every visit; every step is audited.
 * Real HTTP through the real app, a real SMTP catcher, a test clock for the windows.
 */

let t: TestKontor;
before(async () => {
  t = await startTestKontor();
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

interface Bank {
  tenantId: string;
  admin: TestUser;
  adminClient: Client;
  support: TestUser;
}

/** A bank in `mode` with an admin, and a support user holding a grant (reader) for it. */
async function bank(mode: 'approval' | 'notify' | 'open'): Promise<Bank> {
  const admin = await createTenantWithUser(t, { roles: ['tenant_admin'], settings: { access_mode: mode, idle_minutes: 120 } });
  const support = await vendorUser(t, ['support']);
  await grantTo(t, support, admin.tenantId, ['reader']);
  return { tenantId: admin.tenantId, admin, adminClient: await signIn(admin), support };
}

/** Lets time pass as a browser would: the 15-minute tokens are renewed along the way. */
async function pass(minutes: number, clients: Client[]): Promise<void> {
  for (let left = minutes; left > 0; left -= 10) {
    t.clock.advanceMinutes(Math.min(10, left));
    for (const c of clients) assert.equal((await c.post('/api/auth/refresh')).status, 200, 'renewal');
  }
}

const reason = 'Ticket 4711: import of products fails at line 12';

function fileRequest(c: Client, tenantId: string, extra: Record<string, unknown> = {}) {
  return c.post('/api/platform/access-requests', { tenantId, reason, minutes: 30, ...extra });
}

describe('vendor access under approval', () => {
  it('refuses the switch before approval (403 access_not_approved), allows it inside the window, and the same session answers 401 access_ended after it', async () => {
    const b = await bank('approval');
    const s = await signIn(b.support);
    const refused = await s.post('/api/auth/switch-tenant', { tenantId: b.tenantId });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'access_not_approved');

    const filed = await fileRequest(s, b.tenantId, { ticket: 'INC-4711' });
    assert.equal(filed.status, 201);
    assert.equal(filed.body.status, 'pending');
    const mail = await t.mail.waitFor((m) => m.to.includes(b.admin.email) && /bittet um Zugriff/.test(m.subject));
    assert.match(mail.text, /import of products fails/);
    assert.equal((await s.post('/api/auth/switch-tenant', { tenantId: b.tenantId })).body.error.code, 'access_not_approved', 'pending is not approved');

    const list = await b.adminClient.get('/api/access-requests');
    assert.equal(list.status, 200);
    assert.equal(list.body.pending, 1);
    assert.equal(list.body.items[0].state, 'pending');
    assert.equal(list.body.items[0].requester.email, b.support.email);

    const approved = await b.adminClient.post(`/api/access-requests/${filed.body.id}/approve`);
    assert.equal(approved.status, 200);
    assert.equal(approved.body.state, 'active');
    await t.mail.waitFor((m) => m.to.includes(b.support.email) && /freigegeben/.test(m.subject));

    const inside = await s.post('/api/auth/switch-tenant', { tenantId: b.tenantId });
    assert.equal(inside.status, 200);
    assert.equal(inside.body.tenant.id, b.tenantId);
    assert.equal((await s.get('/api/containers')).status, 200, 'a request inside the window');

    await pass(29, [s, b.adminClient]);
    assert.equal((await s.get('/api/containers')).status, 200, 'still inside');
    t.clock.advanceMinutes(2);
    const ended = await s.get('/api/containers');
    assert.equal(ended.status, 401);
    assert.deepEqual([ended.body.error.code, ended.body.error.reason], ['session_expired', 'access_ended']);
    assert.equal((await s.get('/api/auth/session')).status, 401, 'the session is gone');

    const page = await b.adminClient.get('/api/access-requests');
    const visit = page.body.items.find((i: { id: string }) => i.id === filed.body.id);
    assert.equal(visit.state, 'ended');
    assert.equal(visit.ticket, 'INC-4711');
    assert.ok(visit.events.some((e: { type: string }) => e.type === 'auth.tenant_switch_in'), 'what they did is on the bank\'s page');
    const types = await auditTypes(b.tenantId);
    for (const type of ['vendor.switch_refused', 'vendor.access_requested', 'vendor.access_approved', 'auth.tenant_switch_in', 'vendor.access_ended']) {
      assert.ok(types.includes(type), `${type} is in the bank's audit chain`);
    }
  });

  it('revocation ends the vendor session on its next request', async () => {
    const b = await bank('approval');
    const s = await signIn(b.support);
    const { id } = (await fileRequest(s, b.tenantId, { minutes: 120 })).body;
    assert.equal((await b.adminClient.post(`/api/access-requests/${id}/approve`)).status, 200);
    assert.equal((await s.post('/api/auth/switch-tenant', { tenantId: b.tenantId })).status, 200);
    assert.equal((await s.get('/api/containers')).status, 200);
    const revoked = await b.adminClient.post(`/api/access-requests/${id}/revoke`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.state, 'revoked');
    const next = await s.get('/api/containers');
    assert.equal(next.status, 401);
    assert.equal(next.body.error.reason, 'access_ended');
    assert.ok((await auditTypes(b.tenantId)).includes('vendor.access_revoked'));
    assert.equal((await b.adminClient.post(`/api/access-requests/${id}/revoke`)).status, 409, 'revoked once');
  });

  it('a denied request opens nothing; a visitor inside the bank can neither decide nor change the mode', async () => {
    const b = await bank('approval');
    const s = await signIn(b.support);
    const { id } = (await fileRequest(s, b.tenantId)).body;
    assert.equal((await b.adminClient.post(`/api/access-requests/${id}/deny`)).body.state, 'denied');
    assert.equal((await s.post('/api/auth/switch-tenant', { tenantId: b.tenantId })).body.error.code, 'access_not_approved');
    assert.equal((await b.adminClient.post(`/api/access-requests/${id}/approve`)).status, 409, 'a denied request is closed');

    // A vendor user whose grant carries the bank's admin role.
    const visitor = await vendorUser(t, ['support']);
    await grantTo(t, visitor, b.tenantId, ['tenant_admin']);
    const v = await signIn(visitor);
    const own = (await fileRequest(v, b.tenantId)).body.id as string;
    assert.equal((await b.adminClient.post(`/api/access-requests/${own}/approve`)).status, 200);
    assert.equal((await v.post('/api/auth/switch-tenant', { tenantId: b.tenantId })).status, 200);
    const other = (await fileRequest(s, b.tenantId)).body.id as string;
    const decide = await v.post(`/api/access-requests/${other}/approve`);
    assert.equal(decide.status, 403);
    assert.equal(decide.body.error.code, 'visitor_cannot_decide');
    const mode = await v.request('PATCH', '/api/settings', { accessMode: 'open' });
    assert.equal(mode.status, 403);
    assert.equal(mode.body.error.code, 'visitor_cannot_decide');
    assert.equal((await b.adminClient.get('/api/settings')).body.accessMode, 'approval');
  });

  it('emergency access: approved by a second vendor user with platform.users:write, never by the requester; at most 60 minutes; the bank is mailed at once', async () => {
    const b = await bank('approval');
    const requester = await vendorUser(t, ['administration']);
    await grantTo(t, requester, b.tenantId, ['reader']);
    const r = await signIn(requester);
    const tooLong = await fileRequest(r, b.tenantId, { emergency: true, minutes: 61 });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.error.field, 'minutes');
    const filed = await fileRequest(r, b.tenantId, { emergency: true, minutes: 60 });
    assert.equal(filed.status, 201);
    await t.mail.waitFor((m) => m.to.includes(b.admin.email) && /Notfallzugriff des Herstellers beantragt/.test(m.subject));

    const own = await r.post(`/api/platform/access-requests/${filed.body.id}/approve`);
    assert.equal(own.status, 403);
    assert.equal(own.body.error.code, 'own_request');
    const bankSide = await b.adminClient.post(`/api/access-requests/${filed.body.id}/approve`);
    assert.equal(bankSide.status, 403);
    assert.equal(bankSide.body.error.code, 'emergency_needs_vendor');
    assert.equal((await r.post('/api/auth/switch-tenant', { tenantId: b.tenantId })).body.error.code, 'access_not_approved');

    const second = await signIn(await vendorUser(t, ['administration']));
    const listed = await second.get('/api/platform/access-requests');
    assert.ok(listed.body.some((i: { id: string }) => i.id === filed.body.id), 'approvers see pending emergencies');
    const approved = await second.post(`/api/platform/access-requests/${filed.body.id}/approve`);
    assert.equal(approved.status, 200);
    assert.equal(approved.body.state, 'active');
    assert.equal(new Date(approved.body.endsAt).getTime() - new Date(approved.body.startsAt).getTime(), 60 * 60_000);
    await t.mail.waitFor((m) => m.to.includes(b.admin.email) && /Notfallzugriff des Herstellers freigegeben/.test(m.subject));
    assert.equal((await r.post('/api/auth/switch-tenant', { tenantId: b.tenantId })).status, 200);
    assert.ok((await auditTypes(b.tenantId)).includes('vendor.access_approved'));
  });

  it('refuses bad input with 400 and the field, and changes nothing', async () => {
    const b = await bank('approval');
    const s = await signIn(b.support);
    const cases: [Record<string, unknown>, string][] = [
      [{ reason: 'too short' }, 'reason'],
      [{ reason: 'x'.repeat(501) }, 'reason'],
      [{ minutes: 14 }, 'minutes'],
      [{ minutes: 481 }, 'minutes'],
      [{ minutes: 30.5 }, 'minutes'],
      [{ ticket: 'T'.repeat(101) }, 'ticket'],
      [{ tenantId: 'not-a-uuid' }, 'tenantId'],
    ];
    for (const [extra, field] of cases) {
      const res = await fileRequest(s, b.tenantId, extra);
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.equal(res.body.error.field, field);
    }
    assert.equal((await fileRequest(s, b.tenantId, { minutes: 15 })).status, 201, 'the lower bound is allowed');
    assert.equal((await b.adminClient.get('/api/access-requests')).body.items.length, 1, 'only the valid request was stored');
    assert.equal((await fileRequest(s, b.tenantId, { minutes: 480 })).body.error.code, 'access_request_open', 'one open request at a time');
    const noGrant = await signIn(await vendorUser(t, ['support']));
    assert.equal((await fileRequest(noGrant, b.tenantId)).body.error.code, 'no_grant');
  });

  it('parallel approve, deny and revoke leave one consistent state (20+ requests, repeated)', async () => {
    for (let round = 0; round < 3; round++) {
      const b = await bank('approval');
      const second = await addUser(t, b.tenantId, { roles: ['tenant_admin'] });
      const admins = [b.adminClient, await signIn(second)];
      const s = await signIn(b.support);
      const { id } = (await fileRequest(s, b.tenantId)).body;
      const verbs = ['approve', 'deny', 'revoke'];
      const results = await Promise.all(Array.from({ length: 24 }, (_, i) => admins[i % 2]!.post(`/api/access-requests/${id}/${verbs[i % 3]}`)));
      const ok = results.map((r, i) => [verbs[i % 3], r.status] as const).filter(([, status]) => status === 200).map(([verb]) => verb);
      assert.ok(results.every((r) => r.status === 200 || r.status === 409), `only 200 or 409: ${results.map((r) => r.status).join(',')}`);
      const decisions = ok.filter((v) => v !== 'revoke');
      assert.equal(decisions.length, 1, `exactly one decision won: ${ok.join(',')}`);
      const revokes = ok.filter((v) => v === 'revoke').length;
      assert.ok(revokes <= 1 && (revokes === 0 || decisions[0] === 'approve'), 'a revoke only of an approved window, once');
      const row = (await b.adminClient.get('/api/access-requests')).body.items[0];
      const expected = decisions[0] === 'deny' ? 'denied' : revokes ? 'revoked' : 'active';
      assert.equal(row.state, expected);
      const types = (await auditTypes(b.tenantId)).filter((x) => /^vendor\.access_(approved|denied|revoked)$/.test(x));
      assert.equal(types.length, 1 + revokes, 'one audit record per step that happened');
    }
  });
});

describe('vendor access under notify and open', () => {
  it('notify: access starts at once and the admins are mailed; the bank can end it', async () => {
    const b = await bank('notify');
    const s = await signIn(b.support);
    assert.equal((await s.post('/api/auth/switch-tenant', { tenantId: b.tenantId })).body.error.code, 'access_not_approved', 'notify still needs a request');
    const filed = await fileRequest(s, b.tenantId);
    assert.equal(filed.body.status, 'approved');
    await t.mail.waitFor((m) => m.to.includes(b.admin.email) && /greift auf Ihre Daten zu/.test(m.subject));
    assert.equal((await s.post('/api/auth/switch-tenant', { tenantId: b.tenantId })).status, 200);
    assert.equal((await b.adminClient.post(`/api/access-requests/${filed.body.id}/revoke`)).status, 200);
    assert.equal((await s.get('/api/auth/session')).body.error.reason, 'access_ended');
  });

  it('open: the switch works without a request, as before; changing the mode back to approval ends the visit on its next request', async () => {
    const b = await bank('open');
    const s = await signIn(b.support);
    assert.equal((await s.post('/api/auth/switch-tenant', { tenantId: b.tenantId })).status, 200);
    assert.equal((await s.get('/api/containers')).status, 200);
    const changed = await b.adminClient.request('PATCH', '/api/settings', { accessMode: 'approval' });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.accessMode, 'approval');
    assert.equal((await s.get('/api/containers')).body.error.reason, 'access_ended');
    const types = await auditTypes(b.tenantId);
    assert.ok(types.includes('vendor.access_mode_changed'));
    assert.equal((await b.adminClient.request('PATCH', '/api/settings', { accessMode: 'sometimes' })).body.error.field, 'accessMode');
  });

  it('the vendor cannot set a bank\'s access mode through the tenant settings patch', async () => {
    const b = await bank('approval');
    const sa = await signIn(await vendorUser(t, ['superadmin']));
    const res = await sa.request('PATCH', `/api/platform/tenants/${b.tenantId}`, { settings: { accessMode: 'open' } });
    assert.equal(res.status, 400);
    assert.equal((await b.adminClient.get('/api/settings')).body.accessMode, 'approval');
  });

  it('under four-eyes the mode change waits for a second admin, and applies only then', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'], settings: { access_mode: 'approval', four_eyes: true } });
    const second = await addUser(t, admin.tenantId, { roles: ['tenant_admin'] });
    const a = await signIn(admin);
    const proposed = await a.request('PATCH', '/api/settings', { accessMode: 'open', reason: 'Test bank of the vendor' });
    assert.equal(proposed.status, 202);
    assert.equal((await a.get('/api/settings')).body.accessMode, 'approval', 'nothing changed yet');
    const b = await signIn(second);
    assert.equal((await b.post(`/api/approvals/${proposed.body.approvalId}/approve`)).status, 200);
    assert.equal((await a.get('/api/settings')).body.accessMode, 'open');
    assert.ok((await auditTypes(admin.tenantId)).includes('vendor.access_mode_changed'));
  });
});
