import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';

/**
 * Red team: an outside attacker posting to the public back-channel logout endpoint. The bank's
 * provider is a counting stand-in (discovery document and JWKS), so the test sees how many requests
 * Kontor sends it: a flood of forged tokens must not turn Kontor into a hammer on the bank's provider.
 */
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
let t: TestKontor;
let bank: TestUser;
let server: http.Server;
let issuer: string;
const hits = { discovery: 0, jwks: 0 };
let base: string;
let down: TestUser;
let gone: TestUser;
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let providerKey: PrivateKey;
let providerJwk: JWK;

const logoutPath = (tenantId: string) => `/api/auth/oidc/backchannel-logout/${tenantId}`;

async function post(tenantId: string, body: string | URLSearchParams, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}${logoutPath(tenantId)}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const text = await res.text();
  let parsed: { error?: { code?: string; reason?: string } } | undefined;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: res.status, code: parsed?.error?.code, reason: parsed?.error?.reason };
}

function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(t.clock.now().getTime() / 1000);
  return { iss: issuer, aud: 'kontor-red', iat: now, exp: now + 120, jti: randomUUID(), sub: `sub-${randomUUID()}`, events: { [EVENT]: {} }, ...over };
}

async function sign(payload: Record<string, unknown>, key: PrivateKey = providerKey, header: Record<string, unknown> = { kid: 'k1' }) {
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', ...header }).sign(key);
}

before(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  providerKey = pair.privateKey;
  providerJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  // Each path prefix is a provider of its own (`/op`, `/down`): discovery and JWKS, counted; `/down` serves no keys, `/gone` no discovery document.
  server = http.createServer((req, res) => {
    const [, name, ...rest] = (req.url ?? '').split('/');
    const iss = `${base}/${name}`;
    if (rest.join('/') === '.well-known/openid-configuration') {
      hits.discovery++;
      if (name === 'gone') return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        issuer: iss, authorization_endpoint: `${iss}/auth`, token_endpoint: `${iss}/token`, jwks_uri: `${iss}/jwks`,
        response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
      }));
    } else if (rest.join('/') === 'jwks') {
      hits.jwks++;
      if (name === 'down') return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [providerJwk] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = `${base}/op`;
  t = await startTestKontor({ allowHttpIssuer: true });
  bank = await createTenantWithUser(t, { roles: ['tenant_admin'] });
  down = await createTenantWithUser(t, { roles: ['tenant_admin'] });
  gone = await createTenantWithUser(t, { roles: ['tenant_admin'] });
  for (const [admin, iss] of [[bank, issuer], [down, `${base}/down`], [gone, `${base}/gone`]] as const) {
    const c = new Client(t.url);
    assert.equal((await c.login(admin.email, admin.password)).status, 200);
    const res = await c.request('PUT', '/api/directory', { method: 'oidc', issuer: iss, clientId: 'kontor-red', clientSecret: randomUUID(), emailDomains: [`red-${randomUUID().slice(0, 8)}.example`] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
});
after(async () => {
  await t?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('red team: back-channel logout', () => {
  it('a genuine token is accepted (the stand-in provider works)', async () => {
    const res = await post(bank.tenantId, new URLSearchParams({ logout_token: await sign(claims()) }));
    assert.equal(res.status, 200, JSON.stringify(res));
  });

  it('forged headers: an embedded jwk, a jku/x5u, HS256 keyed with the public key: all refused', async () => {
    const attacker = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(attacker.publicKey);
    const embedded = await sign(claims(), attacker.privateKey, { jwk });
    const jku = await sign(claims(), attacker.privateKey, { kid: 'k1', jku: 'http://127.0.0.1:1/jwks', x5u: 'http://127.0.0.1:1/x5u' });
    const pem = await exportSPKI((await generateKeyPair('RS256', { extractable: true })).publicKey);
    const hs = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(new TextEncoder().encode(pem));
    for (const [token, reason] of [[embedded, 'signature'], [jku, 'signature'], [hs, 'alg']] as const) {
      const res = await post(bank.tenantId, new URLSearchParams({ logout_token: token }));
      assert.deepEqual([res.status, res.code, res.reason], [400, 'logout_token_rejected', reason]);
    }
  });

  it('claims: events as an array or a string, sub as a number, null nonce, a huge exp without iat: refused', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [claims({ events: [EVENT] }), 'events'],
      [claims({ events: EVENT }), 'events'],
      [claims({ sub: 42 }), 'sub_or_sid'],
      [claims({ nonce: null }), 'nonce'],
      [claims({ iat: undefined, exp: 4_102_444_800 }), 'iat'],
    ];
    for (const [payload, reason] of cases) {
      const res = await post(bank.tenantId, new URLSearchParams({ logout_token: await sign(payload) }));
      assert.deepEqual([res.status, res.reason], [400, reason]);
    }
  });

  it('bodies: a duplicated parameter, too many parameters, another charset: 4xx, never 500', async () => {
    const token = await sign(claims());
    assert.equal((await post(bank.tenantId, `logout_token=${token}&logout_token=${token}`)).reason, 'missing');
    const many = Array.from({ length: 20 }, (_, i) => `p${i}=1`).join('&');
    assert.equal((await post(bank.tenantId, many)).status, 413);
    const odd: Record<string, string>[] = [{ 'content-type': 'application/x-www-form-urlencoded; charset=utf-16' }, { 'content-encoding': 'br' }, { 'content-type': 'text/plain' }];
    for (const headers of odd) {
      const res = await post(bank.tenantId, `logout_token=${token}`, headers);
      assert.ok(res.status >= 400 && res.status < 500 && res.code, JSON.stringify(res));
    }
  });

  it('the same jti under an upper-case tenant path is a replay', async () => {
    const token = await sign(claims());
    assert.equal((await post(bank.tenantId, new URLSearchParams({ logout_token: token }))).status, 200);
    assert.equal((await post(bank.tenantId.toUpperCase(), new URLSearchParams({ logout_token: token }))).reason, 'replayed');
  });

  it('forged tokens with ever new key ids: at most one JWKS fetch per cooldown', async () => {
    const before = hits.jwks;
    for (let round = 0; round < 2; round++) {
      const answers = await Promise.all(Array.from({ length: 20 }, async () => post(bank.tenantId, new URLSearchParams({ logout_token: await sign(claims(), providerKey, { kid: randomUUID() }) }))));
      assert.ok(answers.every((a) => a.status === 400 && a.reason === 'signature'), JSON.stringify(answers[0]));
    }
    assert.ok(hits.jwks - before <= 1, `${hits.jwks - before} JWKS fetches for 40 forged tokens`);
  });

  it('while the provider\'s JWKS fails, forged tokens do not each make Kontor fetch it again', async () => {
    const before = hits.jwks;
    for (let i = 0; i < 20; i++) {
      const res = await post(down.tenantId, new URLSearchParams({ logout_token: await sign(claims({ iss: `${base}/down` }), providerKey, { kid: randomUUID() }) }));
      assert.deepEqual([res.status, res.reason], [400, 'keys_unavailable']);
    }
    assert.ok(hits.jwks - before <= 2, `${hits.jwks - before} JWKS fetches for 20 forged tokens`);
  });

  it('while the provider\'s discovery fails, forged tokens do not each make Kontor ask it again', async () => {
    const before = hits.discovery;
    for (let i = 0; i < 20; i++) {
      const res = await post(gone.tenantId, new URLSearchParams({ logout_token: await sign(claims({ iss: `${base}/gone` })) }));
      assert.deepEqual([res.status, res.reason], [400, 'keys_unavailable']);
    }
    assert.ok(hits.discovery - before <= 2, `${hits.discovery - before} discovery fetches for 20 forged tokens`);
  });
});
