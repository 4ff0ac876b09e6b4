import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { startTestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';

/** Issue 19, item 2: the sign-in and recovery throttles hold for the cluster, not per instance. */
describe('throttles shared across instances', () => {
  it('24 parallel sign-ins split over two instances: exactly the limit gets through, the rest is 429 (3 rounds)', async () => {
    for (let round = 0; round < 3; round++) {
      // Two instances of one cluster: same database, same LOGIN_EVENT_KEY (a fresh one per round: fresh counters).
      const hmacKey = randomBytes(32).toString('hex');
      const throttles = { login: { limit: 10, windowSeconds: 60 }, recovery: { limit: 5, windowSeconds: 600 } };
      const one = await startTestKontor({ hmacKey, throttles });
      const two = await startTestKontor({ hmacKey, throttles });
      try {
        const logins = await Promise.all(Array.from({ length: 24 }, (_, i) => new Client(i % 2 ? two.url : one.url).login('nobody@bank.example', 'wrong-password')));
        const passed = logins.filter((r) => r.status !== 429).length;
        assert.equal(passed, 10, `round ${round}: ${passed} sign-ins got past a limit of 10 (answers ${logins.map((r) => r.status).join(',')})`);
        assert.ok(logins.every((r) => r.status === 401 || r.status === 429));
        const recoveries = await Promise.all(Array.from({ length: 24 }, (_, i) => new Client(i % 2 ? one.url : two.url).post('/api/auth/recovery', { email: 'nobody@bank.example' })));
        assert.equal(recoveries.filter((r) => r.status === 202).length, 5, `round ${round}: recovery answers ${recoveries.map((r) => r.status).join(',')}`);
        assert.equal(recoveries.filter((r) => r.status === 429).length, 19);
      } finally {
        await one.close();
        await two.close();
      }
    }
  });
});
