import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LOCK_AFTER_FAILURES } from '../src/auth/auth-store.js';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';

/** Issue 13, item 8: guessing the current password from a session is locked out, throttled and recorded. */

let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

const NEW_PASSWORD = 'a fresh long passphrase 42';

describe('wrong current passwords on POST /api/auth/password', () => {
  it(`count toward the sign-in lock: the ${LOCK_AFTER_FAILURES}th locks the account and ends the session`, async () => {
    const u = await createTenantWithUser(t);
    const c = new Client(t.url);
    assert.equal((await c.login(u.email, u.password)).status, 200);
    for (let i = 0; i < LOCK_AFTER_FAILURES; i++) {
      const res = await c.post('/api/auth/password', { currentPassword: `guess-number-${i}`, newPassword: NEW_PASSWORD });
      assert.equal(res.status, 400, `guess ${i}`);
      assert.equal(res.body.error.code, 'invalid_current_password');
    }
    const row = await t.owner('users').where({ id: u.id }).first('status', 'failed_login_count');
    assert.equal(row.status, 'locked');
    assert.equal(row.failed_login_count, LOCK_AFTER_FAILURES);
    assert.equal((await c.get('/api/auth/session')).status, 401, 'the session ended with the lock');
    const again = await c.post('/api/auth/password', { currentPassword: u.password, newPassword: NEW_PASSWORD });
    assert.equal(again.status, 401, 'the right current password no longer helps');
    assert.equal((await new Client(t.url).login(u.email, u.password)).status, 401, 'locked for sign-in too');
    await t.mail.waitFor((m) => m.to.includes(u.email) && /lock|gesperrt/i.test(`${m.subject} ${m.text}`));
  });

  it('a wrong current password and a wrong sign-in password share one counter', async () => {
    const u = await createTenantWithUser(t);
    const c = new Client(t.url);
    assert.equal((await c.login(u.email, u.password)).status, 200);
    for (let i = 0; i < LOCK_AFTER_FAILURES - 1; i++) assert.equal((await new Client(t.url).login(u.email, `wrong-${i}`)).status, 401);
    assert.equal((await c.post('/api/auth/password', { currentPassword: 'one more guess', newPassword: NEW_PASSWORD })).status, 400);
    assert.equal((await t.owner('users').where({ id: u.id }).first('status')).status, 'locked');
  });

  it('are recorded in login_events and in the bank\'s audit log', async () => {
    const u = await createTenantWithUser(t);
    const c = new Client(t.url);
    assert.equal((await c.login(u.email, u.password)).status, 200);
    assert.equal((await c.post('/api/auth/password', { currentPassword: 'not my password', newPassword: NEW_PASSWORD })).status, 400);
    const events = await t.owner('login_events').where({ user_id: u.id, outcome: 'failure' }).pluck('reason');
    assert.deepEqual(events, ['wrong_current_password']);
    const audit = await inWholeTenant(t.owner, u.tenantId, (trx) => trx('audit_events').where({ tenant_id: u.tenantId, actor_user_id: u.id }).pluck('type'));
    assert.ok(audit.includes('auth.password_change_failed'), `audit has ${audit.join(', ')}`);
    // A right one afterwards works and resets the counter as a sign-in would.
    assert.equal((await c.post('/api/auth/password', { currentPassword: u.password, newPassword: NEW_PASSWORD })).status, 204);
  });

  it('are throttled per address like sign-ins', async () => {
    const limited = await startTestKontor({ throttles: { login: { limit: 3, windowSeconds: 6 }, recovery: { limit: 3, windowSeconds: 60 } } });
    try {
      const a = await createTenantWithUser(limited);
      const b = await createTenantWithUser(limited);
      const ca = new Client(limited.url);
      const cb = new Client(limited.url);
      assert.equal((await ca.login(a.email, a.password)).status, 200);
      assert.equal((await cb.login(b.email, b.password)).status, 200);
      const answers: number[] = [];
      for (const c of [ca, cb, ca, cb]) answers.push((await c.post('/api/auth/password', { currentPassword: 'a guess', newPassword: NEW_PASSWORD })).status);
      assert.deepEqual(answers, [400, 400, 400, 429]);
      // The shared store counts the window in real time.
      await new Promise((r) => setTimeout(r, 6100));
      assert.equal((await cb.post('/api/auth/password', { currentPassword: b.password, newPassword: NEW_PASSWORD })).status, 204);
    } finally {
      await limited.close();
    }
  });
});
