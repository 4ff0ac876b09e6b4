import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inTenant } from '../src/db/tenant-transaction.js';
import { createMailer } from '../src/mail/mailer.js';
import { runRecertification } from '../src/recertification/recertification-service.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { capturingLogger } from './helpers/logger.js';
import { MailCatcher } from './helpers/mail.js';

/** Issue 17 item 3: campaigns, revocation (under four-eyes too), schedule, reminders, dormant accounts. */

let t: TestKontor;
const catcher = new MailCatcher();
let mailer: ReturnType<typeof createMailer>;
const DAY = 86_400_000;

before(async () => {
  t = await startTestKontor();
  const { logger } = capturingLogger();
  mailer = createMailer({ smtpUrl: await catcher.start(), home: '/nonexistent', logger, clock: t.clock });
});
after(async () => {
  await catcher.stop();
  await t.close();
});

async function signIn(u: TestUser): Promise<Client> {
  const c = new Client(t.url);
  assert.equal((await c.login(u.email, u.password)).status, 200, `sign-in of ${u.email}`);
  return c;
}

async function auditTypes(tenantId: string): Promise<string[]> {
  return inTenant(t.owner, tenantId, async (trx) => (await trx('audit_events').where({ tenant_id: tenantId }).orderBy('id').pluck('type')) as string[]);
}

async function roleCount(tenantId: string, userId: string): Promise<number> {
  const rows = await inTenant(t.owner, tenantId, (trx) => trx('membership_roles').where({ tenant_id: tenantId, user_id: userId }).select('role_id'));
  return rows.length;
}

function run(tenantId: string, now: Date) {
  return runRecertification({ db: t.db, clock: t.clock, mailer, logger: capturingLogger().logger, tenantIds: [tenantId] }, now);
}

describe('recertification campaigns', () => {
  it('lists every active account with its roles; revoking applies at once; closes when all are decided; exports the evidence', async () => {
    const adminA = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const tenantId = adminA.tenantId;
    const adminB = await addUser(t, tenantId, { roles: ['tenant_admin'] });
    const analyst = await addUser(t, tenantId, { roles: ['analyst'] });
    const reader = await addUser(t, tenantId, { roles: ['reader'] });
    const a = await signIn(adminA);
    const b = await signIn(adminB);

    const started = await a.post('/api/recertifications', { scope: 'all' });
    assert.equal(started.status, 201);
    const id = started.body.id as string;
    const emails = (started.body.items as { email: string; roles: string }[]).map((i) => i.email).sort();
    assert.deepEqual(emails, [adminA.email, adminB.email, analyst.email, reader.email].sort());
    assert.equal((started.body.items as { email: string; roles: string }[]).find((i) => i.email === analyst.email)!.roles, 'Analyst');
    assert.equal((await a.post('/api/recertifications', { scope: 'all' })).status, 409, 'one open campaign per scope');

    const self = await a.post(`/api/recertifications/${id}/decisions`, { userId: adminA.id, decision: 'confirm' });
    assert.equal(self.status, 403, 'nobody recertifies themselves');
    assert.equal((await a.post(`/api/recertifications/${id}/decisions`, { userId: analyst.id, decision: 'revoke' })).status, 200);
    assert.equal(await roleCount(tenantId, analyst.id), 0, 'revoked at once');
    assert.equal((await a.post(`/api/recertifications/${id}/decisions`, { userId: analyst.id, decision: 'confirm' })).status, 409, 'decided once');
    assert.equal((await a.post(`/api/recertifications/${id}/decisions`, { userId: reader.id, decision: 'confirm' })).status, 200);
    assert.equal((await a.post(`/api/recertifications/${id}/decisions`, { userId: adminB.id, decision: 'confirm' })).status, 200);
    assert.equal((await a.get(`/api/recertifications/${id}`)).body.status, 'open');
    const last = await b.post(`/api/recertifications/${id}/decisions`, { userId: adminA.id, decision: 'confirm' });
    assert.equal(last.body.campaignClosed, true);
    assert.equal((await a.get('/api/recertifications')).body[0].status, 'closed');

    const csv = await a.get(`/api/recertifications/${id}/evidence.csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    const lines = (csv.body as string).trim().split('\r\n');
    assert.equal(lines.length, 5);
    const analystLine = lines.find((l) => l.includes(analyst.email))!;
    assert.match(analystLine, /;revoke;/);
    assert.ok(analystLine.includes(adminA.email), 'who decided');
    const cells = lines.map((l) => l.split(';'));
    assert.deepEqual(cells[0]!.slice(5, 9), ['email', 'roles', 'decision', 'decided_by']);
    const ofAdminA = cells.find((c) => c[5] === adminA.email)!;
    assert.deepEqual(ofAdminA.slice(7, 9), ['confirm', adminB.email], 'admin A was confirmed by admin B');
    assert.match(ofAdminA[9]!, /^\d{4}-\d{2}-\d{2}T/, 'when');
    const types = await auditTypes(tenantId);
    for (const type of ['recertification.started', 'recertification.decided', 'recertification.closed', 'recertification.exported']) assert.ok(types.includes(type), type);
  });

  it('under four-eyes a revoked privileged role waits for a second admin', async () => {
    const adminA = await createTenantWithUser(t, { roles: ['tenant_admin'], settings: { four_eyes: true } });
    const tenantId = adminA.tenantId;
    const adminB = await addUser(t, tenantId, { roles: ['tenant_admin'] });
    const analyst = await addUser(t, tenantId, { roles: ['analyst'] });
    const a = await signIn(adminA);
    const id = (await a.post('/api/recertifications', { scope: 'admins' })).body.id as string;
    const listed = ((await a.get(`/api/recertifications/${id}`)).body.items as { userId: string }[]).map((i) => i.userId).sort();
    assert.deepEqual(listed, [adminA.id, adminB.id, analyst.id].sort(), 'admins scope: holders of export, users:write or settings:write');
    const res = await a.post(`/api/recertifications/${id}/decisions`, { userId: analyst.id, decision: 'revoke' });
    assert.equal(res.status, 200);
    assert.ok(res.body.approvalId, 'the revocation is a pending four-eyes change');
    assert.equal(await roleCount(tenantId, analyst.id), 1);
    const b = await signIn(adminB);
    assert.equal((await b.post(`/api/approvals/${res.body.approvalId}/approve`)).status, 200);
    assert.equal(await roleCount(tenantId, analyst.id), 0);
    assert.equal((await a.get(`/api/recertifications/${id}`)).body.items.find((i: { userId: string }) => i.userId === analyst.id).approvalStatus, 'approved');
  });

  it('starts campaigns on schedule (admins after 6 months, everyone after 12) and reminds admins of an overdue one by mail', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const tenantId = admin.tenantId;
    const now = Date.now();
    assert.equal((await run(tenantId, new Date(now + 30 * DAY))).started, 0, 'nothing due after a month');
    assert.equal((await run(tenantId, new Date(now + 185 * DAY))).started, 1);
    const scopes = async () => inTenant(t.owner, tenantId, async (trx) => (await trx('recertifications').where({ tenant_id: tenantId }).orderBy('started_at').pluck('scope')) as string[]);
    assert.deepEqual(await scopes(), ['admins']);
    const reminded = await run(tenantId, new Date(now + 220 * DAY));
    assert.equal(reminded.reminded, 1, 'overdue after 30 days');
    const mail = await catcher.waitFor((m) => m.to.includes(admin.email) && m.subject.includes('Rezertifizierung'));
    assert.match(mail.text, /1 Personen/);
    assert.equal((await run(tenantId, new Date(now + 221 * DAY))).reminded, 0, 'reminded at most weekly');
    assert.equal((await run(tenantId, new Date(now + 370 * DAY))).started, 1);
    assert.deepEqual(await scopes(), ['admins', 'all']);
  });
});

describe('dormant accounts', () => {
  it('announces a week ahead, then deactivates; recovery does not reopen it, an admin reactivates it', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const tenantId = admin.tenantId;
    const user = await addUser(t, tenantId, { roles: ['reader'] });
    const c = await signIn(user);
    const start = Date.now();
    await t.owner('users').where({ id: user.id }).update({ created_at: new Date(start - 200 * DAY), last_login_at: new Date(start - 85 * DAY) });
    await t.owner('users').where({ id: admin.id }).update({ last_login_at: new Date(start) });

    const first = await run(tenantId, new Date(start));
    assert.equal(first.announced, 1, 'announced at 83+ days');
    assert.equal(first.deactivated, 0);
    await catcher.waitFor((m) => m.to.includes(user.email) && m.subject.includes('deaktiviert'));
    assert.equal((await run(tenantId, new Date(start + 3 * DAY))).deactivated, 0, 'not before the week is over');
    const later = await run(tenantId, new Date(start + 7 * DAY));
    assert.equal(later.deactivated, 1);
    const row = await t.owner('users').where({ id: user.id }).first('status', 'deactivated_at');
    assert.equal(row.status, 'locked');
    assert.ok(row.deactivated_at);
    assert.equal((await c.get('/api/auth/session')).status, 401, 'the session ends');
    assert.equal((await new Client(t.url).login(user.email, user.password)).status, 401);
    assert.ok((await auditTypes(tenantId)).includes('user.deactivated'));

    // Recovery (a mailed code) unlocks a locked-out account, never a deactivated one.
    assert.equal((await new Client(t.url).post('/api/auth/recovery', { email: user.email })).status, 202);
    const codeMail = await t.mail.waitFor((m) => m.to.includes(user.email));
    const code = /(\d{8})/.exec(codeMail.text)![1];
    await new Client(t.url).post('/api/auth/recovery/confirm', { email: user.email, code, newPassword: 'a new passphrase for me' });
    assert.equal((await new Client(t.url).login(user.email, 'a new passphrase for me')).status, 401, 'still deactivated');

    const a = await signIn(admin);
    assert.equal((await a.post(`/api/users/${user.id}/unlock`)).status, 204);
    assert.equal((await new Client(t.url).login(user.email, 'a new passphrase for me')).status, 200, 'reactivated by the admin');
    assert.equal((await run(tenantId, new Date(start + 8 * DAY))).announced, 0, 'the inactivity clock restarted');
  });
});
