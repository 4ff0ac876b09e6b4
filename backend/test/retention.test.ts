import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inTenant } from '../src/db/tenant-transaction.js';
import { createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { retentionDb } from './helpers/db.js';
import { purgeChainedRecords } from '../src/audit/chains.js';

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
    const sessions = await inTenant(t.owner, u.tenantId, (trx) => trx('sessions').where({ user_id: u.id }).count({ n: '*' }));
    assert.equal(Number(sessions[0]!.n), 1, 'expired sessions removed, the live one kept');
    assert.equal((await fresh.get('/api/auth/session')).status, 200);
  });
});
