import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

/**
 * The request pool (DATABASE_URL) may go through PgBouncer in transaction mode, where the next
 * transaction of a client runs on any server connection and whatever a transaction leaves in its
 * session stays there for the next client (docs/scaling.md). So no code may leave session state on
 * a pooled connection. pgbouncer.test.ts looks at the server sessions after real traffic; this
 * guard reads the source for the statements that would leave some, so a new one is caught even
 * where that traffic does not reach it.
 */
const SRC = path.join(import.meta.dirname, '../src');

/**
 * Files whose statements run on a session of their own, never on the request pool: the leader's
 * lock connection (DATABASE_DIRECT_URL), the base backup's superuser session, the tenant move's
 * owner session.
 */
const OWN_SESSION = new Set(['maintenance/cluster-store.ts', 'backup/backup-store.ts', 'backup/tenant-store.ts']);

const RULES: { what: string; bad: RegExp; unless?: RegExp }[] = [
  { what: 'a session-level set_config (third argument false)', bad: /set_config\([^)]*,\s*false\s*\)/i },
  { what: 'SET without LOCAL (SET SESSION, SET ROLE, SET name TO …)', bad: /(^|['"`;]\s*)set\s+(?!local\b)(session\b|role\b|[a-z_.]+\s+(to\b|=))/im },
  { what: 'a session advisory lock (use pg_advisory_xact_lock)', bad: /pg_(try_)?advisory_lock(_shared)?\s*\(/i },
  { what: 'LISTEN (the job library listens on DATABASE_DIRECT_URL)', bad: /['"`;]\s*listen\s+["a-z_]/i },
  { what: 'a temporary table that outlives its transaction (add ON COMMIT DROP)', bad: /create\s+(temp|temporary)\s+table\b[^'"`]*['"`]/i, unless: /on\s+commit\s+drop/i },
  { what: 'a cursor WITH HOLD', bad: /\bwith\s+hold\b/i },
  { what: 'a named (server-side prepared) statement', bad: /\.query\(\s*\{[^}]*\bname\s*:/ },
  { what: 'PREPARE', bad: /['"`;]\s*prepare\s+[a-z_]+\s*(\(|as\b)/i },
  { what: 'rate-limiter-flexible with its own named statements (give it unnamedStatements(db))', bad: /new RateLimiterPostgres\(/, unless: /storeClient:\s*unnamedStatements\(/ },
];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** The statements of a file that break a rule: rule text and line. */
function findings(text: string): string[] {
  const found: string[] = [];
  const lines = text.split('\n');
  for (const rule of RULES) {
    const flags = rule.bad.flags.includes('g') ? rule.bad.flags : `${rule.bad.flags}g`;
    for (const m of text.matchAll(new RegExp(rule.bad.source, flags))) {
      const at = text.slice(0, m.index).split('\n').length;
      // The statement around the match: its line and the next two (a long template string).
      const around = lines.slice(at - 1, at + 2).join('\n');
      if (rule.unless?.test(around)) continue;
      found.push(`${rule.what} (line ${at})`);
    }
  }
  return found;
}

describe('no session state on the request pool (PgBouncer in transaction mode)', () => {
  it('every rule catches its statement (the guard can fail)', () => {
    const bad = [
      "await trx.raw(\"select set_config('app.tenant_id', ?, false)\", [id]);",
      "await db.raw('set statement_timeout = 1000');",
      "await db.raw('SET ROLE kontor_owner');",
      "await db.raw(\"set session search_path to public\");",
      "await db.raw('select pg_advisory_lock(?)', [1]);",
      "await db.raw('select pg_try_advisory_lock(?)', [1]);",
      "await client.query('LISTEN \"jobs:insert\"');",
      "await trx.raw('create temp table scratch (a int)');",
      "await trx.raw('declare c cursor with hold for select 1');",
      "await client.query({ name: 'get-user', text: 'select 1' });",
      "await db.raw('prepare get_user as select 1');",
      "new RateLimiterPostgres({ storeClient: db, storeType: 'knex' });",
    ];
    for (const snippet of bad) assert.ok(findings(snippet).length > 0, snippet);
    const good = [
      "await trx.raw(\"select set_config('app.tenant_id', ?, true)\", [id]);",
      "await trx.raw('set local statement_timeout = 1000');",
      "await trx.raw('select pg_advisory_xact_lock(?)', [1]);",
      "await trx.raw('create temp table scratch (a int) on commit drop');",
      "new RateLimiterPostgres({\n  storeClient: unnamedStatements(d.db), storeType: 'pool',\n});",
      "const columns = { name: 'group_id', required: true };",
    ];
    for (const snippet of good) assert.deepEqual(findings(snippet), [], snippet);
  });

  it('no source file of the request pool leaves session state', () => {
    const problems = sources(SRC)
      .map((file) => path.relative(SRC, file).split(path.sep).join('/'))
      .filter((rel) => !OWN_SESSION.has(rel))
      .flatMap((rel) => findings(fs.readFileSync(path.join(SRC, rel), 'utf8')).map((f) => `${rel}: ${f}`));
    assert.deepEqual(problems, []);
  });
});
