import type { Knex } from 'knex';

/** The SQL of bootstrap.ts: utility statements on the cluster's roles and database, and the API role's facts. */

/**
 * Utility statements (CREATE ROLE …) take no bind parameters, so the statement is
 * built server-side by format() with %I/%L quoting and then executed.
 */
export async function execFormatted(db: Knex, template: string, ...args: string[]): Promise<void> {
  const placeholders = args.map(() => '?::text').join(', ');
  const result = await db.raw(`select format(?, ${placeholders}) as sql`, [template, ...args]);
  await db.raw((result.rows[0] as { sql: string }).sql);
}

export async function roleExists(db: Knex, name: string): Promise<boolean> {
  const result = await db.raw('select 1 from pg_roles where rolname = ?', [name]);
  return result.rows.length > 0;
}

export async function databaseExists(db: Knex, name: string): Promise<boolean> {
  const result = await db.raw('select 1 from pg_database where datname = ?', [name]);
  return result.rows.length > 0;
}

export interface RoleFacts { super: boolean; bypass: boolean; createrole: boolean; in_api_group: boolean; owned: number; owns_db: boolean }

/** What the connected role may do around row-level security: attributes, group membership, owned relations and database. */
export async function currentRoleFacts(db: Knex, apiGroup: string): Promise<RoleFacts> {
  const result = await db.raw(
    `select r.rolsuper as super, r.rolbypassrls as bypass, r.rolcreaterole as createrole,
            pg_has_role(current_user, ?, 'MEMBER') as in_api_group,
            (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
                 and pg_has_role(current_user, c.relowner, 'USAGE')) as owned,
            (select pg_has_role(current_user, d.datdba, 'USAGE') from pg_database d where d.datname = current_database()) as owns_db
       from pg_roles r where r.rolname = current_user`,
    [apiGroup],
  );
  return result.rows[0] as RoleFacts;
}

export interface ServerIdentity { role: string; database: string; started: string }

/** Which role on which database of which server this connection is (a pooler in between does not change it). */
export async function serverIdentity(db: Knex): Promise<ServerIdentity> {
  const result = await db.raw('select current_user as role, current_database() as database, pg_postmaster_start_time()::text as started');
  return result.rows[0] as ServerIdentity;
}
