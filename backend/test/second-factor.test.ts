import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { after, before, describe, it } from 'node:test';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { grantTo, vendorUser } from './helpers/tenancy.js';

const challengeSecret = randomBytes(32).toString('hex');
let t: TestKontor;
before(async () => {
  t = await startTestKontor({ sessionSecret: challengeSecret });
});
after(async () => t.close());

const code = (secret: string, offsetSteps = 0) => t.kontor.secondFactor.codeAt(secret, new Date(t.clock.now().getTime() + offsetSteps * 30_000));

async function passwordOnly(user: TestUser): Promise<Client> {
  const c = new Client(t.url);
  assert.equal((await c.post('/api/auth/login', { email: user.email, password: user.password })).status, 200);
  return c;
}

/** Enrols through the API as the user would; returns the seed and the recovery codes. */
async function enrol(c: Client): Promise<{ secret: string; recoveryCodes: string[] }> {
  const started = await c.post('/api/auth/totp/enrol');
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const confirmed = await c.post('/api/auth/totp/confirm', { code: code(started.body.secret) });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  return { secret: started.body.secret, recoveryCodes: confirmed.body.recoveryCodes };
}

/** First step: password; answers the client holding only the challenge. */
async function firstStep(user: TestUser): Promise<Client> {
  const c = new Client(t.url);
  const res = await c.post('/api/auth/login', { email: user.email, password: user.password });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { secondFactorRequired: true });
  return c;
}

describe('TOTP second factor', () => {
  it('enrolment: QR code and seed, confirmed by a code, ten recovery codes shown once', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const c = await passwordOnly(u);
    const started = await c.post('/api/auth/totp/enrol');
    assert.match(started.body.uri, /^otpauth:\/\/totp\/Kontor:.+\?.*secret=[A-Z2-7]+/);
    assert.match(started.body.qr, /^data:image\/svg\+xml;base64,/);
    assert.equal((await c.post('/api/auth/totp/confirm', { code: code(started.body.secret, 5) })).body.error.code, 'invalid_code');
    assert.equal((await c.get('/api/auth/totp')).body.enrolled, false, 'not in force until confirmed');
    const confirmed = await c.post('/api/auth/totp/confirm', { code: code(started.body.secret) });
    assert.equal(confirmed.body.recoveryCodes.length, 10);
    assert.equal(new Set(confirmed.body.recoveryCodes).size, 10);
    assert.deepEqual((await c.get('/api/auth/totp')).body, { enrolled: true, recoveryCodesLeft: 10 });
    assert.deepEqual((await c.get('/api/auth/session')).body.mfa, { enrolled: true, verified: true, required: false, passkeyEnrolled: false, phishingResistant: false, passkeyRequired: false });
    const stored = await t.owner('user_recovery_codes').where({ user_id: u.id }).pluck('code_hash');
    assert.ok(stored.every((h: string) => /^[0-9a-f]{64}$/.test(h) && !confirmed.body.recoveryCodes.includes(h)), 'stored as hashes only');
    const seed = await t.owner('user_totp').where({ user_id: u.id }).first('secret_enc');
    assert.ok(!seed.secret_enc.includes(started.body.secret), 'the seed is encrypted at rest');
    assert.equal((await c.post('/api/auth/totp/enrol')).body.error.code, 'already_enrolled');
  });

  it('enrolment writes in the request\'s transaction: a confirmation that fails leaves no factor in force and no recovery codes', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const c = await passwordOnly(u);
    const started = await c.post('/api/auth/totp/enrol');
    assert.equal(started.status, 200);
    // The last write of the confirmation (the session's verified flag) fails for this user only.
    const fn = `test_fail_enrolment_${u.id.replace(/-/g, '')}`;
    await t.owner.raw(`create function ${fn}() returns trigger language plpgsql as $$ begin raise exception 'enrolment failure injected'; end $$`);
    await t.owner.raw(`create trigger ${fn} before update of mfa_verified on sessions for each row when (new.user_id = '${u.id}' and new.mfa_verified) execute function ${fn}()`);
    try {
      const failed = await c.post('/api/auth/totp/confirm', { code: code(started.body.secret) });
      assert.equal(failed.status, 500);
      assert.equal(failed.body.recoveryCodes, undefined, 'no codes were shown');
    } finally {
      await t.owner.raw(`drop trigger ${fn} on sessions`);
      await t.owner.raw(`drop function ${fn}()`);
    }
    const factor = await t.owner('user_totp').where({ user_id: u.id }).first('confirmed_at', 'last_step');
    assert.equal(factor.confirmed_at, null, 'the factor is not in force');
    assert.equal(factor.last_step, null, 'the code\'s step was not used up');
    assert.equal(Number((await t.owner('user_recovery_codes').where({ user_id: u.id }).count({ n: '*' }))[0]!.n), 0, 'no recovery codes exist that nobody saw');
    assert.deepEqual((await c.get('/api/auth/totp')).body, { enrolled: false, recoveryCodesLeft: 0 });
    // The same code confirms once the failure is gone: nothing of the failed attempt stands in the way.
    const confirmed = await c.post('/api/auth/totp/confirm', { code: code(started.body.secret) });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    assert.equal(confirmed.body.recoveryCodes.length, 10);
  });

  it('login becomes two steps: the password alone yields no usable session', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const { secret } = await enrol(await passwordOnly(u));
    t.clock.advanceMinutes(1);
    const c = await firstStep(u);
    assert.equal(c.session, undefined, 'no session cookie after the password');
    assert.ok(c.challenge);
    assert.equal((await c.get('/api/auth/session')).status, 401);
    assert.equal((await c.get('/api/containers')).status, 401);
    const done = await c.post('/api/auth/login/second-factor', { code: code(secret) });
    assert.equal(done.status, 200);
    assert.equal(done.body.user.email.toLowerCase(), u.email.toLowerCase());
    assert.deepEqual(done.body.mfa, { enrolled: true, verified: true, required: false, passkeyEnrolled: false, phishingResistant: false, passkeyRequired: false });
    assert.equal((await c.get('/api/containers')).status, 200);
    const events = await t.owner('login_events').where({ user_id: u.id, outcome: 'success' }).orderBy('id').pluck('reason');
    assert.equal(events.at(-1), 'ok_totp');
  });

  it('a code is accepted once: replaying it (same 30 s window) is refused', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const { secret } = await enrol(await passwordOnly(u));
    t.clock.advanceMinutes(1);
    const first = await firstStep(u);
    assert.equal((await first.post('/api/auth/login/second-factor', { code: code(secret) })).status, 200);
    const replay = await firstStep(u);
    const res = await replay.post('/api/auth/login/second-factor', { code: code(secret) });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'invalid_code');
  });

  it('a challenge is single use: once the second step succeeded, the same challenge opens nothing again', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const { recoveryCodes } = await enrol(await passwordOnly(u));
    const first = await firstStep(u);
    const captured = first.challenge;
    assert.equal((await first.post('/api/auth/login/second-factor', { recoveryCode: recoveryCodes[0] })).status, 200);
    const replay = new Client(t.url);
    replay.challenge = captured;
    const res = await replay.post('/api/auth/login/second-factor', { recoveryCode: recoveryCodes[1] });
    assert.equal(res.status, 401, 'the used challenge with another valid recovery code');
    assert.equal(replay.session, undefined);
    // A fresh challenge still works with that code.
    assert.equal((await (await firstStep(u)).post('/api/auth/login/second-factor', { recoveryCode: recoveryCodes[1] })).status, 200);
  });

  it('refuses a validly signed challenge that lacks any required claim (exp, iat, iss, aud, sub, tid, seq)', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const { recoveryCodes } = await enrol(await passwordOnly(u));
    const issued = jwt.decode((await firstStep(u)).challenge!.split('=')[1]!) as Record<string, unknown>;
    // jsonwebtoken adds an iat of its own unless told not to, and then drops a given one too.
    const sign = (payload: Record<string, unknown>) => jwt.sign(payload, challengeSecret, { algorithm: 'HS256', noTimestamp: !('iat' in payload) });
    const accepted: string[] = [];
    let used = 0;
    for (const claim of ['exp', 'iat', 'iss', 'aud', 'sub', 'tid', 'seq']) {
      const { [claim]: _dropped, ...rest } = issued;
      const c = new Client(t.url);
      c.challenge = `kontor_challenge=${sign(rest)}`;
      const res = await c.post('/api/auth/login/second-factor', { recoveryCode: recoveryCodes[used]! });
      if (res.status === 200) used++;
      if (res.status !== 401 || res.body.error.code !== 'challenge_expired') accepted.push(`${claim}: ${res.status}`);
    }
    assert.deepEqual(accepted, [], 'challenges accepted although this claim was missing');
    const whole = new Client(t.url);
    whole.challenge = `kontor_challenge=${sign(issued)}`;
    assert.equal((await whole.post('/api/auth/login/second-factor', { recoveryCode: recoveryCodes[9]! })).status, 200, 'the same claims, all present');
  });

  it('a recovery code works once', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const { recoveryCodes } = await enrol(await passwordOnly(u));
    const typed = recoveryCodes[3]!.toLowerCase().replaceAll('-', ' ');
    assert.equal((await (await firstStep(u)).post('/api/auth/login/second-factor', { recoveryCode: typed })).status, 200, 'as people type it');
    assert.equal((await (await firstStep(u)).post('/api/auth/login/second-factor', { recoveryCode: recoveryCodes[3] })).status, 401);
    const c = await firstStep(u);
    await c.post('/api/auth/login/second-factor', { recoveryCode: recoveryCodes[4] });
    assert.equal((await c.get('/api/auth/totp')).body.recoveryCodesLeft, 8);
  });

  it('wrong codes count toward the same lockout as wrong passwords', async () => {
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    const { secret } = await enrol(await passwordOnly(u));
    t.clock.advanceMinutes(1);
    for (let i = 0; i < 4; i++) {
      const res = await (await firstStep(u)).post('/api/auth/login/second-factor', { code: code(secret, 10) });
      assert.equal(res.status, 401);
    }
    assert.equal((await t.owner('users').where({ id: u.id }).first('status')).status, 'locked');
    await t.mail.waitFor((m) => m.to.includes(u.email) && /gesperrt|locked/.test(m.subject));
    // Locked: the password no longer even leads to the second step.
    const res = await new Client(t.url).post('/api/auth/login', { email: u.email, password: u.password });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'invalid_credentials');
  });

  it('a bank can require the factor of its admins, or of everyone', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'], settings: { mfa_required: 'admins' } });
    const analyst = await addUser(t, admin.tenantId, { roles: ['analyst'] });
    const a = await passwordOnly(admin);
    const res = await a.get('/api/users');
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'mfa_enrolment_required');
    assert.equal((await a.get('/api/auth/session')).body.mfa.required, true);
    const n = await passwordOnly(analyst);
    assert.equal((await n.get('/api/containers')).status, 200, 'analysts are not admins');
    await enrol(a);
    assert.equal((await a.get('/api/users')).status, 200, 'the enrolling session counts as verified');

    await inWholeTenant(t.owner, admin.tenantId, (trx) => trx('tenant_settings').where({ tenant_id: admin.tenantId }).update({ mfa_required: 'all' }));
    assert.equal((await n.get('/api/containers')).body.error.code, 'mfa_enrolment_required');
  });

  it('vendor staff must enrol before any vendor route, and switch banks only after the second factor', async () => {
    const bank = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const support = await vendorUser(t, ['support'], { withFactor: false });
    await grantTo(t, support, bank.tenantId, ['reader']);
    const c = await passwordOnly(support);
    const res = await c.get('/api/platform/tenants');
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'mfa_enrolment_required');
    // Vendor staff without a factor can do nothing but enrol: switching banks included.
    const sw = await c.post('/api/auth/switch-tenant', { tenantId: bank.tenantId });
    assert.equal(sw.status, 403);
    assert.equal(sw.body.error.code, 'mfa_enrolment_required');
    await enrol(c);
    assert.equal((await c.get('/api/platform/tenants')).status, 200);
    assert.equal((await c.post('/api/auth/switch-tenant', { tenantId: bank.tenantId })).status, 200);
  });

  it('an admin resets a user\'s factor: audited, the user is mailed, sessions end, password sign-in works again', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const analyst = await addUser(t, admin.tenantId, { roles: ['analyst'] });
    const ac = await passwordOnly(analyst);
    await enrol(ac);
    const a = await passwordOnly(admin);
    assert.equal((await a.post(`/api/users/${analyst.id}/totp/reset`)).status, 204);
    assert.equal((await ac.get('/api/containers')).status, 401, 'the user\'s sessions ended');
    await t.mail.waitFor((m) => m.to.includes(analyst.email) && /zweiter Faktor|second factor/.test(m.subject));
    const audit = await inWholeTenant(t.owner, admin.tenantId, (trx) => trx('audit_events').where({ tenant_id: admin.tenantId, type: 'user.totp_reset', subject_id: analyst.id }).first());
    assert.equal(audit.actor_user_id, admin.id);
    const again = await new Client(t.url).post('/api/auth/login', { email: analyst.email, password: analyst.password });
    assert.equal(again.status, 200);
    assert.equal(again.body.mfa.enrolled, false);
    assert.equal((await a.post(`/api/users/${analyst.id}/totp/reset`)).body.error.code, 'no_factor');
  });
});
