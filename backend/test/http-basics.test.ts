import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Router } from 'express';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createApp, type AppDeps } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import { createKnex } from '../src/db/connection.js';
import { apiDb } from './helpers/db.js';
import { listen, type RunningApp } from './helpers/http.js';
import { capturingLogger } from './helpers/logger.js';

const db = apiDb(2);

/** The headers nginx/snippets/security-headers.conf adds, lower-cased name → value. */
function nginxSecurityHeaders(): Map<string, string> {
  const conf = fs.readFileSync(path.resolve(import.meta.dirname, '../../nginx/snippets/security-headers.conf'), 'utf8');
  return new Map([...conf.matchAll(/^add_header ([\w-]+) "([^"]*)" always;$/gm)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
}

function directives(csp: string): string[] {
  return csp.split(';').map((d) => d.trim()).filter(Boolean).sort();
}
const { logger, lines } = capturingLogger();
let app: RunningApp;

function deps(database: typeof db, extraApiRoutes: Router[] = []): AppDeps {
  return {
    db: database, logger, clock: systemClock, jsonBodyLimit: '1kb', extraApiRoutes,
    mailer: { send: async () => undefined },
    sessionSecret: randomBytes(32).toString('hex'),
    hmacKey: randomBytes(32).toString('hex'),
    totpKey: randomBytes(32).toString('hex'),
  };
}

before(async () => {
  const failing = Router();
  failing.get('/test/explode', () => {
    throw new Error('secret-detail-4711 from a database value');
  });
  failing.get('/test/database-error', async () => {
    // Multi-line SQL quoting a value: the driver puts both into the error's message and stack.
    await db.raw(`select secret_column_4711
      from no_such_table_4711
      where name = 'customer-value-0815'`);
  });
  failing.post('/test/echo', (req, res) => {
    res.json({ got: req.body as unknown });
  });
  app = await listen(createApp(deps(db, [failing])).app);
});

after(async () => {
  await app.close();
  await db.destroy();
});

describe('HTTP basics', () => {
  it('GET /api/health reports status and database', async () => {
    const res = await fetch(`${app.url}/api/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok', db: 'ok' });
  });

  it('health says degraded with 503 when the database is unreachable', async () => {
    const dead = createKnex('postgres://nobody:x@127.0.0.1:1/none', 1);
    const down = await listen(createApp(deps(dead)).app);
    try {
      const res = await fetch(`${down.url}/api/health`);
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { status: 'degraded', db: 'unavailable' });
    } finally {
      await down.close();
      await dead.destroy();
    }
  });

  it('an unknown error is a 500 internal_error without stack or message, logged by request id', async () => {
    const res = await fetch(`${app.url}/api/test/explode`);
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.deepEqual(JSON.parse(text), {
      error: { code: 'internal_error', message: JSON.parse(text).error.message },
    });
    assert.ok(!text.includes('secret-detail-4711'));
    assert.ok(!text.includes('at '), 'stack trace leaked');
    const logged = lines.find((l) => l.includes('unhandled error'));
    assert.ok(logged, 'error was not logged');
    assert.ok(logged.includes(res.headers.get('x-request-id')!));
    assert.ok(!logged.includes('secret-detail-4711'), 'error message (may carry data) reached the log');
  });

  it('a database error is logged with its code, the request id and own frames only: no SQL, no PostgreSQL message, no library frames', async () => {
    const res = await fetch(`${app.url}/api/test/database-error`);
    assert.equal(res.status, 500);
    const requestId = res.headers.get('x-request-id')!;
    const logged = lines.find((l) => l.includes('unhandled error') && l.includes(requestId));
    assert.ok(logged, 'error was not logged with its request id');
    const entry = JSON.parse(logged) as { code?: string; frames?: string };
    for (const leak of ['no_such_table_4711', 'secret_column_4711', 'customer-value-0815', 'does not exist', 'select', 'node_modules', 'node:internal']) {
      assert.ok(!logged.includes(leak), `the log line carries ${leak}: ${logged}`);
    }
    assert.equal(entry.code, '42P01', 'the SQLSTATE is logged as the code');
    for (const frame of (entry.frames ?? '').split('\n').filter(Boolean)) assert.match(frame, /^at .*(backend|migrations)\//);
  });

  it('unknown API routes answer 404 not_found as JSON', async () => {
    const res = await fetch(`${app.url}/api/nope`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  it('malformed JSON is a 400 invalid_json, oversize a 413', async () => {
    const bad = await fetch(`${app.url}/api/test/echo`, { method: 'POST', headers: { 'content-type': 'application/json', origin: app.url }, body: '{"a":' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'invalid_json');
    const big = await fetch(`${app.url}/api/test/echo`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: app.url }, body: JSON.stringify({ a: 'x'.repeat(5000) }),
    });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'payload_too_large');
  });

  it('sends security headers and no x-powered-by', async () => {
    const res = await fetch(`${app.url}/api/health`);
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'(;|$)/);
  });

  it('without nginx (SECURITY_HEADERS=app) the app sends the very headers nginx sends, each once', async () => {
    const res = await fetch(`${app.url}/api/health`);
    const nginx = nginxSecurityHeaders();
    assert.ok(nginx.size >= 7);
    for (const [name, value] of nginx) {
      const sent = res.headers.get(name);
      assert.ok(sent !== null, `${name} missing`);
      assert.ok(!sent.includes(', ') || name === 'permissions-policy', `${name} sent twice: ${sent}`);
      if (name === 'content-security-policy') assert.deepEqual(directives(sent), directives(value), 'the same CSP as nginx');
      else assert.equal(sent, value, name);
    }
  });

  it('behind nginx (SECURITY_HEADERS=proxy) the app sends none of them: nginx is their one owner', async () => {
    const proxied = await listen(createApp({ ...deps(db), securityHeaders: 'proxy' }).app);
    try {
      const res = await fetch(`${proxied.url}/api/health`);
      assert.equal(res.status, 200);
      for (const name of [...nginxSecurityHeaders().keys(), 'cross-origin-resource-policy', 'origin-agent-cluster', 'x-xss-protection']) {
        assert.equal(res.headers.get(name), null, `${name} is nginx's to send`);
      }
    } finally {
      await proxied.close();
    }
  });

  it('logs the route pattern, never the query string', async () => {
    await fetch(`${app.url}/api/health?email=someone@bank.example`);
    const requestLines = lines.filter((l) => l.includes('"msg":"request"'));
    assert.ok(requestLines.length > 0);
    assert.ok(!lines.join('').includes('someone@bank.example'));
  });
});
