import type { Knex } from 'knex';
import { currentRoleFacts, databaseExists, execFormatted, roleExists, serverIdentity } from './bootstrap-store.js';
import { createKnex, withDatabase } from './connection.js';
import { API_GROUP_ROLE, DATABASE_NAME, EMBEDDED_API_LOGIN, OWNER_ROLE, RETENTION_ROLE } from './roles.js';

/**
 * Embedded mode only: as the cluster superuser, make sure the owner role, the API group role,
 * the API login role, the retention role and the database exist, with the passwords from $KONTOR_HOME/secrets.json.
 */
export async function ensureEmbeddedRolesAndDatabase(
  superUrl: string,
  passwords: { owner: string; api: string; retention: string },
): Promise<void> {
  const su = createKnex(withDatabase(superUrl, 'postgres'), 1);
  try {
    const safe = 'NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION';
    if (!(await roleExists(su, OWNER_ROLE))) await execFormatted(su, `CREATE ROLE %I LOGIN ${safe}`, OWNER_ROLE);
    await execFormatted(su, 'ALTER ROLE %I WITH LOGIN PASSWORD %L', OWNER_ROLE, passwords.owner);
    if (!(await roleExists(su, API_GROUP_ROLE))) await execFormatted(su, `CREATE ROLE %I NOLOGIN ${safe}`, API_GROUP_ROLE);
    if (!(await roleExists(su, EMBEDDED_API_LOGIN))) {
      await execFormatted(su, `CREATE ROLE %I LOGIN ${safe} IN ROLE %I`, EMBEDDED_API_LOGIN, API_GROUP_ROLE);
    }
    await execFormatted(su, 'ALTER ROLE %I WITH LOGIN PASSWORD %L', EMBEDDED_API_LOGIN, passwords.api);
    if (!(await roleExists(su, RETENTION_ROLE))) await execFormatted(su, `CREATE ROLE %I LOGIN ${safe}`, RETENTION_ROLE);
    await execFormatted(su, 'ALTER ROLE %I WITH LOGIN PASSWORD %L', RETENTION_ROLE, passwords.retention);
    if (!(await databaseExists(su, DATABASE_NAME))) {
      await execFormatted(su, "CREATE DATABASE %I OWNER %I ENCODING 'UTF8' TEMPLATE template0", DATABASE_NAME, OWNER_ROLE);
    }
    await execFormatted(su, 'REVOKE ALL ON DATABASE %I FROM PUBLIC', DATABASE_NAME);
    await execFormatted(su, 'GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', DATABASE_NAME, API_GROUP_ROLE);
    await execFormatted(su, 'GRANT CONNECT ON DATABASE %I TO %I', DATABASE_NAME, RETENTION_ROLE);
  } finally {
    await su.destroy();
  }
}

export interface RoleCheck {
  ok: boolean;
  problems: string[];
}

/**
 * The API role must not be able to step around row-level security: no superuser, no BYPASSRLS,
 * owns no table and not the database (owners are exempt unless FORCE is set, and could ALTER it away).
 */
export async function checkApiRole(api: Knex): Promise<RoleCheck> {
  const row = await currentRoleFacts(api, API_GROUP_ROLE);
  const problems: string[] = [];
  if (row.super) problems.push('the API role is a superuser');
  if (row.bypass) problems.push('the API role has BYPASSRLS');
  if (row.createrole) problems.push('the API role has CREATEROLE');
  if (!row.in_api_group) problems.push(`the API role is not a member of ${API_GROUP_ROLE}`);
  if (row.owned > 0) problems.push(`the API role owns ${row.owned} relation(s)`);
  if (row.owns_db) problems.push('the API role owns the database');
  return { ok: problems.length === 0, problems };
}

/**
 * DATABASE_DIRECT_URL must reach the same server, database and role as DATABASE_URL, only without
 * the pooler: the job library and the leader run there with the API role's rights (row-level
 * security included), never with another role's. Returns what is wrong, by setting name.
 */
export async function checkSameSession(api: Knex, direct: Knex): Promise<string[]> {
  const [a, d] = [await serverIdentity(api), await serverIdentity(direct)];
  const problems: string[] = [];
  if (d.role !== a.role) problems.push('DATABASE_DIRECT_URL signs in as another role than DATABASE_URL (it must be the same API role)');
  if (d.database !== a.database || d.started !== a.started) problems.push('DATABASE_DIRECT_URL reaches another database than DATABASE_URL');
  const check = await checkApiRole(direct);
  if (!check.ok) problems.push(...check.problems.map((p) => `DATABASE_DIRECT_URL: ${p}`));
  return problems;
}
