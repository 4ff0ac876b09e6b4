import type { TestKontor, TestUser } from './app.js';
import { testFactors } from './client.js';

/**
 * Gives a user a confirmed TOTP factor with a known seed, and lets Client.login answer the second
 * step. Each sign-in clears the used time step first: tests sign in many times within one 30 s step
 * of a frozen clock, which the single-use rule would (rightly) refuse.
 */
export async function enrolFactor(t: TestKontor, user: TestUser): Promise<string> {
  const sf = t.kontor.secondFactor;
  const secret = sf.newSecret();
  await t.owner('user_totp').insert({ user_id: user.id, secret_enc: sf.encrypt(secret), confirmed_at: t.clock.now(), created_at: t.clock.now() });
  testFactors.set(user.email.toLowerCase(), async () => {
    await t.owner('user_totp').where({ user_id: user.id }).update({ last_step: null });
    return sf.codeAt(secret, t.clock.now());
  });
  return secret;
}
