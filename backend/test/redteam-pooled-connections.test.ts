import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';

/**
 * Red team, PgBouncer in transaction mode: a server connection serves whichever client comes next,
 * so anything a request leaves on its connection (a tenant, departments, a role, a search_path, a
 * prepared statement, a LISTEN, an advisory lock) would reach another bank's request. The API pool's
 * own connections show what a request leaves behind: after requests of two banks, failed ones
 * included, every idle connection must be as fresh as a new one.
 */
let t: TestKontor;
let bankA: TestUser;
let bankB: TestUser;

before(async () => {
  t = await startTestKontor();
  bankA = await createTenantWithUser(t, { roles: ['tenant_admin'] });
  bankB = await createTenantWithUser(t, { roles: ['tenant_admin'] });
});
after(async () => {
  await t?.close();
});

/** What an idle connection carries, read outside any transaction. */
async function leftovers(db: Knex, size: number): Promise<Record<string, unknown>[]> {
  const trxs = await Promise.all(Array.from({ length: size }, () => db.client.acquireConnection() as Promise<{ query: (q: string) => Promise<{ rows: Record<string, unknown>[] }> }>));
  try {
    return await Promise.all(trxs.map(async (c) => (await c.query(`
      select coalesce(current_setting('app.tenant_id', true), '') as tenant,
             coalesce(current_setting('app.department_ids', true), '') as departments,
             current_user = session_user as own_role,
             current_setting('search_path') as search_path,
             current_setting('statement_timeout') as statement_timeout,
             current_setting('enable_hashjoin') as hashjoin,
             (select count(*) from pg_prepared_statements)::int as prepared,
             (select count(*) from pg_listening_channels())::int as listening,
             (select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid())::int as advisory,
             pg_current_xact_id_if_assigned() is null as no_open_transaction`)).rows[0]!));
  } finally {
    for (const c of trxs) await db.client.releaseConnection(c);
  }
}

describe('red team: pooled connections carry nothing from one request to the next', () => {
  it('after sign-ins, reads, refused and failed writes of two banks, every idle API connection is fresh', async () => {
    const fresh = (await leftovers(t.db, 1))[0]!;
    assert.equal(fresh.tenant, '');
    for (let round = 0; round < 2; round++) {
      await Promise.all([bankA, bankB].map(async (bank) => {
        const c = new Client(t.url);
        assert.equal((await c.login(bank.email, bank.password)).status, 200);
        const work = [
          c.get('/api/auth/session'), c.get('/api/directory'), c.get('/api/auth/sessions'),
          // Refused inside the guarded transaction (after the tenant was set): rolled back.
          c.request('PUT', '/api/directory', { method: 'oidc', issuer: 'ftp://x' }),
          c.request('PUT', '/api/directory', { method: 'ldap', url: 'ldap://127.0.0.1:1', emailDomains: [`x-${randomUUID().slice(0, 6)}.example`] }),
          fetch(`${t.url}/api/auth/oidc/backchannel-logout/${bank.tenantId}`, { method: 'POST', body: new URLSearchParams({ logout_token: 'a.b.c' }) }),
          new Client(t.url).login(bank.email, 'wrong password'),
        ];
        await Promise.all(work);
      }));
    }
    const rows = await leftovers(t.db, 6);
    for (const row of rows) {
      assert.deepEqual(row, { ...fresh }, 'an idle connection differs from a fresh one');
    }
  });
});
