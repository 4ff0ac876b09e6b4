import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';

/**
 * Issue 13, item 9: how long a recovery request takes must not tell whether the account exists.
 * Medians of interleaved requests within one run (a ratio, so a busy machine slows both alike).
 */

let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

const REQUESTS = 60;
const MAX_RATIO = 1.5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function timed(email: string): Promise<number> {
  const start = process.hrtime.bigint();
  const res = await new Client(t.url).post('/api/auth/recovery', { email });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  assert.equal(res.status, 202);
  return ms;
}

describe('recovery request timing', () => {
  it(`medians for existing and unknown accounts differ by less than ${MAX_RATIO}× over ${REQUESTS} requests each`, async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => createTenantWithUser(t)));
    for (let i = 0; i < 10; i++) await timed(i % 2 ? users[0]!.email : `warm-up-${i}@bank.example`);
    const existing: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      // Interleaved, alternating which goes first, so drift and leftover background work hit both sides.
      const pair = [() => timed(users[i % users.length]!.email), () => timed(`nobody-${i}-${Date.now()}@bank.example`)] as const;
      if (i % 2) {
        existing.push(await pair[0]());
        unknown.push(await pair[1]());
      } else {
        unknown.push(await pair[1]());
        existing.push(await pair[0]());
      }
    }
    const [e, u] = [median(existing), median(unknown)];
    const ratio = Math.max(e, u) / Math.min(e, u);
    console.log(`# recovery timing: median existing ${e.toFixed(2)} ms, unknown ${u.toFixed(2)} ms, ratio ${ratio.toFixed(2)}`);
    assert.ok(ratio < MAX_RATIO, `median existing ${e.toFixed(2)} ms vs unknown ${u.toFixed(2)} ms: ratio ${ratio.toFixed(2)} >= ${MAX_RATIO}`);
    // The mails still go out, after the answer.
    for (const user of users) await t.mail.waitFor((m) => m.to.includes(user.email));
  });
});
