import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/connection.js';

export function apiUrl(): string {
  const url = process.env.KONTOR_TEST_DATABASE_URL;
  if (!url) throw new Error('run the backend tests through test/run.ts (npm test -w backend)');
  return url;
}

export function ownerUrl(): string {
  const url = process.env.KONTOR_TEST_DATABASE_OWNER_URL;
  if (!url) throw new Error('run the backend tests through test/run.ts (npm test -w backend)');
  return url;
}

/** A knex for the restricted API role, as the server uses it. */
export function apiDb(poolMax = 4): Knex {
  return createKnex(apiUrl(), poolMax);
}

/** A knex for the retention role: the only one that may delete audit events and sign-in records. */
export function retentionDb(): Knex {
  const url = process.env.KONTOR_TEST_RETENTION_URL;
  if (!url) throw new Error('run the backend tests through test/run.ts (npm test -w backend), or set KONTOR_TEST_RETENTION_URL');
  return createKnex(url, 1);
}

/** A knex for the owner role, for fixtures that the API could not write itself. */
export function ownerDb(): Knex {
  return createKnex(ownerUrl(), 2);
}

/** A unique name so suites sharing one database never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createTenant(owner: Knex, name = uniqueName('bank')): Promise<string> {
  const [row] = await owner('tenants').insert({ name }).returning('id');
  return (row as { id: string }).id;
}

export async function createUser(owner: Knex, tenantId: string, email = `${uniqueName('user')}@example.test`): Promise<string> {
  const [row] = await owner('users').insert({ tenant_id: tenantId, email, name: 'Test User' }).returning('id');
  return (row as { id: string }).id;
}
