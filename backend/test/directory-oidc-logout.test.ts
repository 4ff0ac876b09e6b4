import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { inTenant } from '../src/db/tenant-transaction.js';
import { purgeUsedLogoutTokens } from '../src/directory/directory-service.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { logoutAtProvider, runFlow, startProvider, type TestProvider } from './helpers/oidc.js';

/**
 * OpenID Connect Back-Channel Logout against a real provider (oidc-provider with its
 * backchannelLogout feature): a sign-out at the provider ends the Kontor sessions opened from that
 * provider session, and every rule of §2.6 refuses a token that breaks it, changing nothing.
 */
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
let t: TestKontor;
let op: TestProvider;
const secretA = randomBytes(16).toString('hex');
const secretB = randomBytes(16).toString('hex');
let bankA: TestUser;
let bankB: TestUser;
const domainA = `bank-${randomBytes(3).toString('hex')}.example`;
const domainB = `bank-${randomBytes(3).toString('hex')}.example`;

const logoutPath = (tenantId: string) => `/api/auth/oidc/backchannel-logout/${tenantId}`;

/** The Kontor test clock stands still; the provider's tokens carry real time. */
function syncClock(): void {
  const behind = Date.now() - t.clock.now().getTime();
  if (behind > 0) t.clock.advanceMinutes(behind / 60_000);
}

async function configure(admin: TestUser, clientId: string, secret: string, domain: string) {
  const c = new Client(t.url);
  assert.equal((await c.login(admin.email, admin.password)).status, 200);
  const res = await c.request('PUT', '/api/directory', { method: 'oidc', issuer: op.issuer, clientId, clientSecret: secret, emailDomains: [domain] });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { client: c, view: res.body.directory };
}

async function bankUser(admin: TestUser, domain: string): Promise<TestUser & { sub: string }> {
  const u = await addUser(t, admin.tenantId, { roles: ['analyst'] });
  const email = `${u.email.split('@')[0]}@${domain}`;
  await t.owner('users').where({ id: u.id }).update({ email });
  const sub = `sub-${randomBytes(4).toString('hex')}`;
  await op.account(sub, { email, email_verified: true, name: 'Directory Person', groups: [] });
  await op.next(sub);
  return { ...u, email, sub };
}

/** Signed in through the provider (a browser of its own, so a provider session of its own). */
async function signIn(tenantId: string) {
  syncClock();
  const flow = await runFlow(t.url, tenantId);
  assert.equal(flow.landing, '/');
  assert.equal((await flow.client.get('/api/auth/session')).status, 200);
  return flow;
}

function post(tenantId: string, body: BodyInit, headers: Record<string, string> = {}) {
  return fetch(`${t.url}${logoutPath(tenantId)}`, { method: 'POST', body, headers });
}

async function postToken(tenantId: string, token: string) {
  const res = await post(tenantId, new URLSearchParams({ logout_token: token }));
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, cacheControl: res.headers.get('cache-control') };
}

function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(t.clock.now().getTime() / 1000);
  return { iss: op.issuer, aud: 'kontor-a', iat: now, exp: now + 120, jti: randomUUID(), events: { [EVENT]: {} }, ...over };
}

async function sessionsOf(tenantId: string, userId: string): Promise<number> {
  return inTenant(t.owner, tenantId, async (trx) => Number((await trx('sessions').where({ user_id: userId }).count<{ count: string }[]>('* as count'))[0]!.count));
}

before(async () => {
  t = await startTestKontor({ allowHttpIssuer: true });
  t.kontor.directory.setPublicUrl(t.url);
  bankA = await createTenantWithUser(t, { roles: ['tenant_admin'] });
  bankB = await createTenantWithUser(t, { roles: ['tenant_admin'] });
  op = await startProvider([
    {
      client_id: 'kontor-a', client_secret: secretA, redirect_uris: [`${t.url}/api/auth/oidc/callback`],
      backchannel_logout_uri: `${t.url}${logoutPath(bankA.tenantId)}`, backchannel_logout_session_required: true,
    },
    {
      client_id: 'kontor-b', client_secret: secretB, redirect_uris: [`${t.url}/api/auth/oidc/callback`],
      backchannel_logout_uri: `${t.url}${logoutPath(bankB.tenantId)}`, backchannel_logout_session_required: true,
    },
  ]);
  await configure(bankA, 'kontor-a', secretA, domainA);
  await configure(bankB, 'kontor-b', secretB, domainB);
});
after(async () => {
  await op?.stop();
  await t?.close();
});

describe('OpenID Connect back-channel logout', () => {
  it('the bank admin sees the URI to register at the provider', async () => {
    const { view } = await configure(bankA, 'kontor-a', secretA, domainA);
    assert.equal(view.backchannelLogoutUri, `${t.url}${logoutPath(bankA.tenantId)}`);
  });

  it('signing out at the provider ends the Kontor session of that provider session, not the one of another', async () => {
    const u = await bankUser(bankA, domainA);
    const first = await signIn(bankA.tenantId);
    const second = await signIn(bankA.tenantId);
    const sids = await inTenant(t.owner, bankA.tenantId, (trx) => trx('sessions').where({ user_id: u.id }).pluck('directory_sid'));
    assert.equal(sids.length, 2);
    assert.ok(sids[0] && sids[1] && sids[0] !== sids[1], 'each session knows its own provider session');

    await logoutAtProvider(op.issuer, first.jar);
    const ended = await first.client.get('/api/auth/session');
    assert.equal(ended.status, 401);
    assert.deepEqual([ended.body.error.code, ended.body.error.reason], ['session_expired', 'directory_logout']);
    assert.equal((await second.client.get('/api/auth/session')).status, 200, 'the other provider session keeps its Kontor session');
    const audit = await inTenant(t.owner, bankA.tenantId, (trx) => trx('audit_events').where({ type: 'user.sessions_ended_by_directory', subject_id: u.id }).first('chain', 'details'));
    assert.equal(audit?.chain, 'review');
    assert.equal(audit?.details.sessions, 1);
    assert.ok(t.logLines.some((l) => l.includes('"back-channel logout"') && l.includes(u.id) && !l.includes(u.sub)));
  });

  it('a token naming only the subject ends every session of the linked user, password sessions too; 200 no-store', async () => {
    const u = await bankUser(bankA, domainA);
    await signIn(bankA.tenantId);
    const byPassword = new Client(t.url);
    assert.equal((await byPassword.login(u.email, u.password)).status, 200);
    assert.equal(await sessionsOf(bankA.tenantId, u.id), 2);
    const res = await postToken(bankA.tenantId, await op.sign(claims({ sub: u.sub })));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.cacheControl, 'no-store');
    assert.equal(await sessionsOf(bankA.tenantId, u.id), 0);
    assert.equal((await byPassword.get('/api/auth/session')).body.error.reason, 'directory_logout');
  });

  it('a subject of another bank ends nothing there, and a token for one bank is refused by another', async () => {
    const other = await bankUser(bankB, domainB);
    await signIn(bankB.tenantId);
    const res = await postToken(bankA.tenantId, await op.sign(claims({ sub: other.sub })));
    assert.equal(res.status, 200);
    assert.equal(await sessionsOf(bankB.tenantId, other.id), 1);
    const crossed = await postToken(bankB.tenantId, await op.sign(claims({ sub: other.sub })));
    assert.deepEqual([crossed.status, crossed.body.error.code, crossed.body.error.reason], [400, 'logout_token_rejected', 'aud']);
    assert.equal(await sessionsOf(bankB.tenantId, other.id), 1);
  });

  describe('refusals change nothing', () => {
    let u: TestUser & { sub: string };
    before(async () => {
      u = await bankUser(bankA, domainA);
      await signIn(bankA.tenantId);
    });
    const now = () => Math.floor(t.clock.now().getTime() / 1000);
    const hs256 = (payload: Record<string, unknown>) => {
      const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const input = `${part({ alg: 'HS256', typ: 'logout+jwt' })}.${part(payload)}`;
      return `${input}.${createHmac('sha256', secretA).update(input).digest('base64url')}`;
    };
    const unsigned = (payload: Record<string, unknown>) => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
    const cases: [string, string, () => Promise<string>][] = [
      ['signed by a key not in the JWKS', 'signature', () => op.sign(claims({ sub: u.sub }), { foreign: true })],
      ['signed with the client secret (HS256)', 'alg', async () => hs256(claims({ sub: u.sub }))],
      ['unsigned (alg none)', 'alg', async () => unsigned(claims({ sub: u.sub }))],
      ['for another client (aud)', 'aud', () => op.sign(claims({ sub: u.sub, aud: 'kontor-b' }))],
      ['from another issuer', 'iss', () => op.sign(claims({ sub: u.sub, iss: 'http://127.0.0.1:1' }))],
      ['without events', 'events', () => op.sign(claims({ sub: u.sub, events: undefined }))],
      ['with another event', 'events', () => op.sign(claims({ sub: u.sub, events: { 'http://schemas.openid.net/event/other': {} } }))],
      ['with a non-object logout event', 'events', () => op.sign(claims({ sub: u.sub, events: { [EVENT]: 'yes' } }))],
      ['with a nonce (an ID token)', 'nonce', () => op.sign(claims({ sub: u.sub, nonce: 'n-1' }))],
      ['expired', 'expired', () => op.sign(claims({ sub: u.sub, iat: now() - 300, exp: now() - 120 }))],
      ['issued too long ago (no exp)', 'expired', () => op.sign(claims({ sub: u.sub, iat: now() - 12 * 60, exp: undefined }))],
      ['issued in the future', 'iat', () => op.sign(claims({ sub: u.sub, iat: now() + 600, exp: now() + 900 }))],
      ['without iat', 'iat', () => op.sign(claims({ sub: u.sub, iat: undefined }))],
      ['naming neither sub nor sid', 'sub_or_sid', () => op.sign(claims())],
      ['without jti', 'jti', () => op.sign(claims({ sub: u.sub, jti: undefined }))],
    ];
    for (const [label, reason, make] of cases) {
      it(`a token ${label}: 400 ${reason}`, async () => {
        const res = await postToken(bankA.tenantId, await make());
        assert.deepEqual([res.status, res.body?.error?.code, res.body?.error?.reason], [400, 'logout_token_rejected', reason]);
        assert.equal(await sessionsOf(bankA.tenantId, u.id), 1);
      });
    }

    it('a token used once is refused again, also by 20 parallel posts (exactly one succeeds)', async () => {
      const token = await op.sign(claims({ sub: `nobody-${randomUUID()}` }));
      assert.equal((await postToken(bankA.tenantId, token)).status, 200);
      assert.equal((await postToken(bankA.tenantId, token)).body.error.reason, 'replayed');
      for (let round = 0; round < 3; round++) {
        const fresh = await op.sign(claims({ sub: `nobody-${randomUUID()}` }));
        const answers = await Promise.all(Array.from({ length: 20 }, () => postToken(bankA.tenantId, fresh)));
        assert.equal(answers.filter((a) => a.status === 200).length, 1);
        assert.ok(answers.every((a) => a.status === 200 || a.body.error.reason === 'replayed'));
      }
      // A replay after the user signed in again ends nothing.
      const used = await op.sign(claims({ sub: u.sub }));
      assert.equal((await postToken(bankA.tenantId, used)).status, 200);
      assert.equal(await sessionsOf(bankA.tenantId, u.id), 0);
      await op.next(u.sub);
      await signIn(bankA.tenantId);
      assert.equal((await postToken(bankA.tenantId, used)).body.error.reason, 'replayed');
      assert.equal(await sessionsOf(bankA.tenantId, u.id), 1);
    });

    it('bodies: other content types 415, too large 413, no token or no such bank 400', async () => {
      const token = await op.sign(claims({ sub: u.sub }));
      const json = await post(bankA.tenantId, JSON.stringify({ logout_token: token }), { 'content-type': 'application/json' });
      assert.equal(json.status, 415);
      const big = await post(bankA.tenantId, new URLSearchParams({ logout_token: 'x'.repeat(20_000) }));
      assert.equal(big.status, 413);
      assert.equal((await postToken(randomUUID(), token)).body.error.reason, 'directory');
      assert.equal((await postToken('not-a-uuid', token)).body.error.reason, 'directory');
      const none = await post(bankA.tenantId, new URLSearchParams({ other: '1' }));
      assert.equal(((await none.json()) as { error: { reason: string } }).error.reason, 'missing');
      assert.equal((await postToken(bankA.tenantId, 'a.b.c')).body.error.reason, 'malformed');
    });
  });

  it('retention forgets token ids once their tokens could no longer be accepted', async () => {
    await postToken(bankA.tenantId, await op.sign(claims({ sub: `nobody-${randomUUID()}` })));
    const count = () => inTenant(t.owner, bankA.tenantId, async (trx) => Number((await trx('used_logout_tokens').count<{ count: string }[]>('* as count'))[0]!.count));
    const before = await count();
    assert.ok(before > 0);
    assert.equal((await purgeUsedLogoutTokens({ db: t.db }, t.clock.now())).logoutTokens >= 0, true);
    assert.equal(await count(), before, 'nothing is forgotten while a token could still pass');
    await purgeUsedLogoutTokens({ db: t.db }, new Date(t.clock.now().getTime() + 12 * 60_000));
    assert.equal(await count(), 0);
  });
});
