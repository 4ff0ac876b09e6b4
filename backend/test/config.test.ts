import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  it('has safe defaults: loopback, port 3000, ./var, embedded database', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.home, path.resolve('./var'));
    assert.deepEqual(config.database, { kind: 'embedded', port: 13000, poolMax: 10 });
    assert.equal(config.sessionSecret, undefined);
    assert.equal(config.securityHeaders, 'app', 'npm start without nginx still sends the security headers');
  });

  it('SECURITY_HEADERS=proxy hands the security headers to nginx', () => {
    assert.equal(loadConfig({ SECURITY_HEADERS: 'proxy' }).securityHeaders, 'proxy');
  });

  it('switches to an external database with DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://api@db/kontor', DATABASE_OWNER_URL: 'postgres://owner@db/kontor' });
    assert.equal(config.database.kind, 'external');
  });

  it('takes DATABASE_DIRECT_URL for the sessions behind PgBouncer; without it there is none (everything uses DATABASE_URL)', () => {
    const behind = loadConfig({ DATABASE_URL: 'postgres://api@pgbouncer:6432/kontor', DATABASE_DIRECT_URL: 'postgres://api@db:5432/kontor' });
    assert.equal(behind.database.kind === 'external' && behind.database.directUrl, 'postgres://api@db:5432/kontor');
    const plain = loadConfig({ DATABASE_URL: 'postgres://api@db/kontor' });
    assert.equal(plain.database.kind === 'external' && plain.database.directUrl, undefined);
  });

  for (const [name, env, field] of [
    ['a port out of range', { PORT: '70000' }, 'PORT'],
    ['a port that is not a number', { PORT: 'http' }, 'PORT'],
    ['a non-postgres DATABASE_URL', { DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL'],
    ['an owner URL without an API URL', { DATABASE_OWNER_URL: 'postgres://o@db/k' }, 'DATABASE_URL'],
    ['a direct URL without an API URL', { DATABASE_DIRECT_URL: 'postgres://api@db/k' }, 'DATABASE_URL'],
    ['a non-postgres DATABASE_DIRECT_URL', { DATABASE_URL: 'postgres://api@pgbouncer/k', DATABASE_DIRECT_URL: 'http://db/k' }, 'DATABASE_DIRECT_URL'],
    ['an unknown log level', { LOG_LEVEL: 'chatty' }, 'LOG_LEVEL'],
    ['a short session secret', { SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    ['a malformed body limit', { JSON_BODY_LIMIT: 'lots' }, 'JSON_BODY_LIMIT'],
    ['an embedded port beyond 65535', { PORT: '60000' }, 'KONTOR_PG_PORT'],
    ['an unknown owner of the security headers', { SECURITY_HEADERS: 'both' }, 'SECURITY_HEADERS'],
  ] as const) {
    it(`rejects ${name}, naming the setting`, () => {
      const problems = problemsOf(env);
      assert.ok(problems.some((p) => p.startsWith(`${field}:`)), problems.join('\n'));
    });
  }

  it('never echoes the rejected value (it may be a secret)', () => {
    const problems = problemsOf({ SESSION_SECRET: 'hunter2-secret' });
    assert.ok(!problems.join('\n').includes('hunter2'));
  });
});
