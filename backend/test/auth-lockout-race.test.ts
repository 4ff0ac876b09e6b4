import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RECOVERY_MAX_ATTEMPTS } from '../src/auth/recovery.js';
import { LOCK_AFTER_FAILURES } from '../src/auth/auth-store.js';
import { createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';

/**
 * Issue 13, item 2: the lock decision and every attempt counter are atomic. Real parallel HTTP
 * requests against the real app, repeated, because a race shows only sometimes.
 */

let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

const ROUNDS = 5;
const PARALLEL = 20;

/** The hasher refuses with 503 `busy` when its queue is full: such a request was never an attempt. */
function isBusy(res: { status: number; body: any }): boolean {
  return res.status === 503 && res.body?.error?.code === 'busy';
}

describe('lockout under concurrency', () => {
  it(`${PARALLEL} parallel sign-ins (the right password last) never open a session once the account locked; the row ends locked`, async () => {
    const tally: Record<string, number> = {};
    const problems: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const u = await createTenantWithUser(t);
      const attempts = Array.from({ length: PARALLEL }, (_, i) => (i === PARALLEL - 1 ? u.password : `wrong-password-${round}-${i}`));
      const answers = await Promise.all(attempts.map((password) => new Client(t.url).post('/api/auth/login', { email: u.email, password })));
      for (const a of answers) tally[a.status] = (tally[a.status] ?? 0) + 1;
      const wrong = answers.slice(0, -1).filter((a) => !isBusy(a));
      const right = answers[PARALLEL - 1]!;
      for (const a of wrong) assert.equal(a.status, 401);

      const row = await t.owner('users').where({ id: u.id }).first('status', 'failed_login_count', 'locked_at');
      if (wrong.length >= LOCK_AFTER_FAILURES) {
        if (row.status !== 'locked' || !row.locked_at) problems.push(`round ${round}: the row reads status=${row.status}, locked_at=${row.locked_at}`);
        if (row.failed_login_count < LOCK_AFTER_FAILURES) problems.push(`round ${round}: failed_login_count ${row.failed_login_count} < ${LOCK_AFTER_FAILURES}`);
      }
      if (right.status === 200) {
        // Allowed only if it was decided before the lock. Judged by the row, whose lock orders every
        // statement on it: each wrong password counted one failure (a busy answer never reached the
        // count), the success reset the counter to 0, so what the row holds now was counted after
        // it, and the rest before it. (login_events cannot tell: the success row is written after
        // the session's transaction, so failures counted later may have lower ids.)
        const before = wrong.length - Number(row.failed_login_count);
        if (before >= LOCK_AFTER_FAILURES) problems.push(`round ${round}: 200 and a session after ${before} counted failures, i.e. after the lock`);
      } else if (!isBusy(right)) {
        if (right.status !== 401 || JSON.stringify(right.body) !== JSON.stringify(wrong[0]!.body) || right.body.error.code !== 'invalid_credentials') {
          problems.push(`round ${round}: the right password after the lock got ${right.status} ${JSON.stringify(right.body)}, not the generic 401`);
        }
        if (right.headers.getSetCookie().some((c) => /^kontor_session=[^;]/.test(c))) problems.push(`round ${round}: a session cookie after the lock`);
      }
    }
    console.log(`# lockout race, ${ROUNDS} rounds of ${PARALLEL}: answers by status ${JSON.stringify(tally)}`);
    assert.deepEqual(problems, []);
  });
});

async function requestCode(u: TestUser): Promise<string> {
  const count = t.mail.mails.length;
  assert.equal((await new Client(t.url).post('/api/auth/recovery', { email: u.email })).status, 202);
  const mail = await t.mail.waitFor((m) => m.to.includes(u.email) && t.mail.mails.indexOf(m) >= count && /code/i.test(m.subject));
  return /(\d{8})/.exec(mail.text)![1]!;
}

describe('recovery code attempts under concurrency', () => {
  it(`24 parallel wrong codes record exactly ${RECOVERY_MAX_ATTEMPTS} attempts, and afterwards even the right code is refused`, async () => {
    const recorded: number[] = [];
    const accepted: number[] = [];
    for (let round = 0; round < 3; round++) {
      const u = await createTenantWithUser(t);
      const code = await requestCode(u);
      const wrongCode = (n: number) => String((Number(code) + 1 + n) % 100_000_000).padStart(8, '0');
      const answers = await Promise.all(Array.from({ length: 24 }, (_, i) =>
        new Client(t.url).post('/api/auth/recovery/confirm', { email: u.email, code: wrongCode(i), newPassword: 'recovered passphrase 77' })));
      for (const a of answers) {
        assert.equal(a.status, 400);
        assert.equal(a.body.error.code, 'invalid_code');
      }
      const row = await t.owner('recovery_codes').where({ user_id: u.id }).orderBy('created_at', 'desc').first('attempts', 'used_at');
      recorded.push(row.attempts);
      const late = await new Client(t.url).post('/api/auth/recovery/confirm', { email: u.email, code, newPassword: 'recovered passphrase 77' });
      accepted.push(late.status);
    }
    console.log(`# recovery race: attempts recorded per round ${JSON.stringify(recorded)} (limit ${RECOVERY_MAX_ATTEMPTS}); the right code afterwards answered ${JSON.stringify(accepted)}`);
    assert.deepEqual(recorded, recorded.map(() => RECOVERY_MAX_ATTEMPTS), 'attempts recorded per round');
    assert.deepEqual(accepted, accepted.map(() => 400), 'the right code after the limit is refused');
  });
});
