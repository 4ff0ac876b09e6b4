import type { Knex } from 'knex';
import { createKnex, withDatabase } from './connection.js';
import { API_GROUP_ROLE, DATABASE_NAME, EMBEDDED_API_LOGIN, OWNER_ROLE, RETENTION_ROLE } from './roles.js';

/**
 * Utility statements (CREATE ROLE …) take no bind parameters, so the statement is
 * built server-side by format() with %I/%L quoting and then executed.
 */
async function execFormatted(db: Knex, template: string, ...args: string[]): Promise<void> {
  const placeholders = args.map(() => '?::text').join(', ');
  const result = await db.raw(`select format(?, ${placeholders}) as sql`, [template, ...args]);
  await db.raw((result.rows[0] as { sql: string }).sql);
}

async function roleExists(db: Knex, name: string): Promise<boolean> {
  const result = await db.raw('select 1 from pg_roles where rolname = ?', [name]);
  return result.rows.length > 0;
}

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
    const db = await su.raw('select 1 from pg_database where datname = ?', [DATABASE_NAME]);
    if (db.rows.length === 0) {
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
  const result = await api.raw(
    `select r.rolsuper as super, r.rolbypassrls as bypass, r.rolcreaterole as createrole,
            pg_has_role(current_user, ?, 'MEMBER') as in_api_group,
            (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
                 and pg_has_role(current_user, c.relowner, 'USAGE')) as owned,
            (select pg_has_role(current_user, d.datdba, 'USAGE') from pg_database d where d.datname = current_database()) as owns_db
       from pg_roles r where r.rolname = current_user`,
    [API_GROUP_ROLE],
  );
  const row = result.rows[0] as {
    super: boolean; bypass: boolean; createrole: boolean; in_api_group: boolean; owned: number; owns_db: boolean;
  };
  const problems: string[] = [];
  if (row.super) problems.push('the API role is a superuser');
  if (row.bypass) problems.push('the API role has BYPASSRLS');
  if (row.createrole) problems.push('the API role has CREATEROLE');
  if (!row.in_api_group) problems.push(`the API role is not a member of ${API_GROUP_ROLE}`);
  if (row.owned > 0) problems.push(`the API role owns ${row.owned} relation(s)`);
  if (row.owns_db) problems.push('the API role owns the database');
  return { ok: problems.length === 0, problems };
}
