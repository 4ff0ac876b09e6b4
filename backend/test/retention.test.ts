import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { retentionDb } from './helpers/db.js';
import { purgeChainedRecords, verifyAuditChains } from '../src/audit/chains.js';
import { recordAudit } from '../src/audit/audit-store.js';

let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

describe('retention run', () => {
  it('deletes successful login events after 30 days, keeps failures, and removes expired sessions', async () => {
    const u = await createTenantWithUser(t, { settings: { idle_minutes: 30 } });
    await new Client(t.url).login(u.email, u.password);
    await new Client(t.url).login(u.email, 'wrong-password-r');
    const stale = new Client(t.url);
    await stale.login(u.email, u.password);
    t.clock.advanceMinutes(31 * 24 * 60);
    const fresh = new Client(t.url);
    await fresh.login(u.email, u.password);

    // Scoped to this suite's tenant: other suites share the database and run meanwhile.
    await t.kontor.auth.purge([u.tenantId]);
    const retention = retentionDb();
    const purged = await purgeChainedRecords(retention, t.clock.now(), [u.tenantId]);
    await retention.destroy();
    assert.ok(purged.loginEvents >= 2);
    const events = await t.owner('login_events').where({ user_id: u.id }).select('outcome');
    assert.deepEqual(events.map((e) => e.outcome).sort(), ['failure', 'success'], 'old failure kept, only the recent success kept');
    const sessions = await inWholeTenant(t.owner, u.tenantId, (trx) => trx('sessions').where({ user_id: u.id }).count({ n: '*' }));
    assert.equal(Number(sessions[0]!.n), 1, 'expired sessions removed, the live one kept');
    assert.equal((await fresh.get('/api/auth/session')).status, 200);
  });
});

describe('retention of review records (issue 16)', () => {
  const DAY = 86_400_000;
  async function record(tenantId: string, type: string, daysAgo: number): Promise<void> {
    await inWholeTenant(t.db, tenantId, (trx) => recordAudit(trx, { tenantId, actorUserId: null, type, details: { daysAgo } }, new Date(t.clock.now().getTime() - daysAgo * DAY)));
  }
  async function left(tenantId: string): Promise<{ chain: string; type: string; days: number }[]> {
    const rows = await inWholeTenant(t.owner, tenantId, (trx) => trx('audit_events').where({ tenant_id: tenantId }).orderBy(['chain', 'seq']).select('chain', 'type', 'details'));
    return rows.map((r) => ({ chain: r.chain, type: r.type, days: r.details.daysAgo }));
  }

  it('keeps access records, rights changes, vendor switches and refusals for the bank\'s period; other info 30 days; the rest verifies from its anchor', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const c = new Client(t.url);
    await c.login(admin.email, admin.password);
    const tenantId = admin.tenantId;
    await record(tenantId, 'calculation.rows_viewed', 250); // older than 7 months: cut
    await record(tenantId, 'calculation.exported', 200); // younger than 7 months, older than 30 days: kept
    await record(tenantId, 'access.denied', 100);
    await record(tenantId, 'user.roles_changed', 60);
    await record(tenantId, 'auth.tenant_switch_in', 40);
    await record(tenantId, 'container.renamed', 40); // plain info, older than 30 days: cut
    await record(tenantId, 'container.renamed', 2);
    assert.equal((await c.request('PATCH', '/api/settings', { auditReviewMonths: 7 })).body.auditReviewMonths, 7);
    const retention = retentionDb();
    await purgeChainedRecords(retention, t.clock.now(), [tenantId]);
    await retention.destroy();
    const rest = await left(tenantId);
    assert.deepEqual(rest.filter((r) => r.type !== 'settings.changed'), [
      { chain: 'info', type: 'container.renamed', days: 2 },
      { chain: 'review', type: 'calculation.exported', days: 200 },
      { chain: 'review', type: 'access.denied', days: 100 },
      { chain: 'review', type: 'user.roles_changed', days: 60 },
      { chain: 'review', type: 'auth.tenant_switch_in', days: 40 },
    ]);
    const chains = await inWholeTenant(t.db, tenantId, (trx) => verifyAuditChains(trx, tenantId));
    assert.ok(chains.every((ch) => ch.ok), 'the cut chains verify from their anchors');
    const anchor = await inWholeTenant(t.owner, tenantId, (trx) => trx('audit_chain_anchors').where({ tenant_id: tenantId, chain: 'review' }).first('first_seq'));
    assert.equal(Number(anchor.first_seq), 2);
  });

  it('review records written before the review chain existed (in the info chain) are not cut with the other info events', async () => {
    const u = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const at = (d: number) => new Date(t.clock.now().getTime() - d * DAY);
    // As an older release wrote them: into the info chain.
    await inWholeTenant(t.owner, u.tenantId, async (trx) => {
      for (const [type, d] of [['container.renamed', 90], ['calculation.rows_viewed', 80], ['container.renamed', 70]] as const) {
        await trx('audit_events').insert({ tenant_id: u.tenantId, chain: 'info', level: 'info', type, details: JSON.stringify({ daysAgo: d }), created_at: at(d) });
      }
    });
    const retention = retentionDb();
    await purgeChainedRecords(retention, t.clock.now(), [u.tenantId]);
    await retention.destroy();
    assert.deepEqual((await left(u.tenantId)).map((r) => [r.type, r.days]), [['calculation.rows_viewed', 80], ['container.renamed', 70]]);
  });

  it('the review period is 6 to 120 months; anything else is refused with the field and changes nothing', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const c = new Client(t.url);
    await c.login(admin.email, admin.password);
    assert.equal((await c.get('/api/settings')).body.auditReviewMonths, 13, 'default 13 months');
    for (const bad of [5, 121, 12.5, '13']) {
      const res = await c.request('PATCH', '/api/settings', { auditReviewMonths: bad });
      assert.equal(res.status, 400, String(bad));
      assert.equal(res.body.error.field, 'auditReviewMonths');
    }
    assert.equal((await c.get('/api/settings')).body.auditReviewMonths, 13);
  });
});
