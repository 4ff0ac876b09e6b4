import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../src/net/free-port.js';
import { createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { runFlow, startProvider, type TestProvider } from './helpers/oidc.js';

/**
 * The OIDC start and callback are top-level navigations of the browser (a link on the sign-in page,
 * the provider's redirect back): no refusal may end on a JSON body there. Each one is a 303 to the
 * sign-in page with the code (and reason) the page translates; the state cookie is gone after a callback.
 */
let t: TestKontor;
let op: TestProvider;
const secret = randomBytes(16).toString('hex');
let admin: TestUser;
let domain: string;

async function configure(k: TestKontor, u: TestUser, body: Record<string, unknown>): Promise<void> {
  const c = new Client(k.url);
  assert.equal((await c.login(u.email, u.password)).status, 200);
  const res = await c.request('PUT', '/api/directory', { method: 'oidc', clientId: 'kontor-nav', clientSecret: secret, emailDomains: [`nav-${randomBytes(3).toString('hex')}.example`], ...body });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

/** A navigation as the browser makes it: no redirects followed, cookies only as given. */
async function navigate(url: string, cookie?: string): Promise<{ status: number; location: string | null; type: string | null; setCookie: string[] }> {
  const res = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
  await res.arrayBuffer();
  return { status: res.status, location: res.headers.get('location'), type: res.headers.get('content-type'), setCookie: res.headers.getSetCookie() };
}

function assertLoginPage(res: { status: number; location: string | null; type: string | null }, code: string, reason?: string): void {
  assert.equal(res.status, 303, `a redirect, not ${res.status} ${res.type}`);
  assert.ok(!res.type?.includes('json'), 'no JSON body');
  const expected = new URLSearchParams({ directoryError: code });
  if (reason) expected.set('directoryReason', reason);
  assert.equal(res.location, `/login?${expected.toString()}`);
}

before(async () => {
  t = await startTestKontor({ allowHttpIssuer: true });
  t.kontor.directory.setPublicUrl(t.url);
  op = await startProvider([{ client_id: 'kontor-nav', client_secret: secret, redirect_uris: [`${t.url}/api/auth/oidc/callback`] }]);
  admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
  domain = `nav-${randomBytes(3).toString('hex')}.example`;
  await configure(t, admin, { issuer: op.issuer, emailDomains: [domain] });
});
after(async () => {
  await op?.stop();
  await t?.close();
});

/** The provider signs in a person Kontor has never heard of (enough to reach the callback). */
async function someone(p = op): Promise<void> {
  const sub = `sub-${randomBytes(4).toString('hex')}`;
  await p.account(sub, { email: `${sub}@${domain}`, email_verified: true, groups: [] });
  await p.next(sub);
}

describe('OIDC start: every refusal ends on the sign-in page', () => {
  it('a tenant id that is not one: invalid_input with its reason', async () => {
    assertLoginPage(await navigate(`${t.url}/api/auth/oidc/start?tenant=not-a-uuid`), 'invalid_input', 'invalid_format');
    assertLoginPage(await navigate(`${t.url}/api/auth/oidc/start`), 'invalid_input', 'invalid_type');
  });

  it('text that cannot be stored (a NUL) is refused before the route, and still ends on the sign-in page', async () => {
    assertLoginPage(await navigate(`${t.url}/api/auth/oidc/start?tenant=%00`), 'invalid_text');
  });

  it('a bank without a directory, and a bank whose directory is not OpenID Connect: not_found / directory_sign_in', async () => {
    assertLoginPage(await navigate(`${t.url}/api/auth/oidc/start?tenant=${randomUUID()}`), 'not_found', 'directory_sign_in');
    const ldapBank = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const c = new Client(t.url);
    assert.equal((await c.login(ldapBank.email, ldapBank.password)).status, 200);
    const put = await c.request('PUT', '/api/directory', {
      method: 'ldap', url: 'ldaps://127.0.0.1:1', emailDomains: [`ldap-${randomBytes(3).toString('hex')}.example`], bindDnTemplate: 'uid={local},ou=people,dc=example',
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assertLoginPage(await navigate(`${t.url}/api/auth/oidc/start?tenant=${ldapBank.tenantId}`), 'not_found', 'directory_sign_in');
  });

  it('a provider that cannot be reached: directory_unavailable', async () => {
    const bank = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    await configure(t, bank, { issuer: `http://127.0.0.1:${await freePort()}` });
    assertLoginPage(await navigate(`${t.url}/api/auth/oidc/start?tenant=${bank.tenantId}`), 'directory_unavailable');
  });

  it('a start that works goes to the provider with the state cookie', async () => {
    const res = await navigate(`${t.url}/api/auth/oidc/start?tenant=${admin.tenantId}`);
    assert.equal(res.status, 303);
    assert.ok(res.location?.startsWith(op.issuer), res.location ?? '');
    assert.ok(res.setCookie.some((c) => c.startsWith('kontor_oidc=') && c.length > 'kontor_oidc=;'.length + 20));
  });
});

describe('OIDC callback: every refusal ends on the sign-in page, the flow cookie cleared', () => {
  const clears = (setCookie: string[]) => setCookie.some((c) => /^kontor_oidc=;/.test(c) && /Max-Age=0/i.test(c));

  it('no state cookie at all: oidc_state_missing', async () => {
    const res = await navigate(`${t.url}/api/auth/oidc/callback?code=x&state=y`);
    assertLoginPage(res, 'oidc_state_missing');
    assert.ok(clears(res.setCookie));
  });

  it('a malformed answer (an oversized code): invalid_input with its reason, the cookie cleared', async () => {
    const res = await navigate(`${t.url}/api/auth/oidc/callback?code=${'x'.repeat(2001)}&state=y`, 'kontor_oidc=whatever');
    assertLoginPage(res, 'invalid_input', 'too_big');
    assert.ok(clears(res.setCookie));
  });

  it('a flow older than its 10 minutes: oidc_state_missing', async () => {
    await someone();
    const { landing } = await runFlow(t.url, admin.tenantId, { beforeCallback: async () => t.clock.advanceMinutes(11) });
    assert.equal(landing, '/login?directoryError=oidc_state_missing');
  });

  it('the person cancelled (or was refused) at the provider: oidc_rejected', async () => {
    await someone();
    const { landing } = await runFlow(t.url, admin.tenantId, {
      rewriteCallback: (cb) => {
        const back = new URL(cb.pathname, cb);
        back.searchParams.set('error', 'access_denied');
        back.searchParams.set('state', cb.searchParams.get('state') ?? '');
        const iss = cb.searchParams.get('iss');
        if (iss) back.searchParams.set('iss', iss);
        return back;
      },
    });
    assert.equal(landing, '/login?directoryError=oidc_rejected');
  });

  it('the bank removed its directory while the browser was away: oidc_not_configured', async () => {
    await someone();
    const row = await t.owner('tenant_directories').where({ tenant_id: admin.tenantId }).first();
    try {
      const { landing } = await runFlow(t.url, admin.tenantId, { beforeCallback: async () => void (await t.owner('tenant_directories').where({ tenant_id: admin.tenantId }).del()) });
      assert.equal(landing, '/login?directoryError=oidc_not_configured');
    } finally {
      await t.owner('tenant_directories').insert(row).onConflict('tenant_id').ignore();
    }
  });

  it('a person the bank never invited: unknown_user', async () => {
    await someone();
    assert.equal((await runFlow(t.url, admin.tenantId)).landing, '/login?directoryError=unknown_user');
  });

  it('the provider went away before the code could be redeemed: directory_unavailable, not a refused answer', async () => {
    const bank = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    const gone = await startProvider([{ client_id: 'kontor-nav', client_secret: secret, redirect_uris: [`${t.url}/api/auth/oidc/callback`] }]);
    try {
      await configure(t, bank, { issuer: gone.issuer });
      await someone(gone);
      const { landing, client } = await runFlow(t.url, bank.tenantId, { beforeCallback: () => gone.stop() });
      assert.equal(landing, '/login?directoryError=directory_unavailable');
      assert.equal(client.session, undefined);
    } finally {
      await gone.stop();
    }
  });

  it('the provider cannot be reached for discovery at the callback: directory_unavailable', async () => {
    const bank = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    await configure(t, bank, { issuer: op.issuer });
    await someone();
    const dead = `http://127.0.0.1:${await freePort()}`;
    // The bank moved its provider while the browser was there: the callback's discovery finds nobody.
    const { landing } = await runFlow(t.url, bank.tenantId, { beforeCallback: async () => void (await t.owner('tenant_directories').where({ tenant_id: bank.tenantId }).update({ oidc_issuer: dead })) });
    assert.equal(landing, '/login?directoryError=directory_unavailable');
  });
});

describe('the shared sign-in throttle on the OIDC navigations', () => {
  it('a throttled start and a throttled callback end on the sign-in page with too_many_requests', async () => {
    const k = await startTestKontor({ allowHttpIssuer: true, throttles: { login: { limit: 3, windowSeconds: 60 }, recovery: { limit: 1000, windowSeconds: 60 } } });
    try {
      const start = `${k.url}/api/auth/oidc/start?tenant=${randomUUID()}`;
      for (let i = 0; i < 3; i++) assertLoginPage(await navigate(start), 'not_found', 'directory_sign_in');
      // 20 parallel navigations past the limit: every one a redirect, none a JSON body.
      const throttled = await Promise.all(Array.from({ length: 20 }, () => navigate(start)));
      for (const res of throttled) assertLoginPage(res, 'too_many_requests');
      const callback = await navigate(`${k.url}/api/auth/oidc/callback?code=x&state=y`, 'kontor_oidc=whatever');
      assertLoginPage(callback, 'too_many_requests');
      assert.ok(callback.setCookie.some((c) => /^kontor_oidc=;/.test(c)), 'the flow cookie is cleared');
    } finally {
      await k.close();
    }
  });
});
