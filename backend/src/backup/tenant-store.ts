import { ALL_DEPARTMENTS_SQL } from '../db/tenant-transaction.js';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/**
 * SQL of the tenant export and import, over one owner-role session. COPY takes no bind
 * parameters: its statements are assembled from identifiers read from the catalog (checked to be
 * plain lower-case names) and the tenant id (checked to be a UUID) — never from the file's text.
 */

export interface TableInfo {
  name: string;
  columns: string[];
  /** Identity or serial columns that are the whole primary key (login_events.id): the target numbers those rows itself. */
  renumbered: string[];
  /** Identity or serial columns kept as they are (audit_events.id): the target's sequence moves past them. */
  sequenced: string[];
  primaryKey: string[];
  hasTenantId: boolean;
  /** Single-column foreign keys, column → referenced table. */
  references: Record<string, string>;
  /** Every table this one references (multi-column keys too), for the import order. */
  dependsOn: string[];
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The one way a name enters these statements: a plain lower-case catalog name, double-quoted. */
export function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`unexpected identifier in the catalog: ${name}`);
  return `"${name}"`;
}

/** The one way the tenant id enters them (COPY has no bindings): a checked UUID as a typed literal. */
export function uuidLiteral(id: string): string {
  if (!UUID.test(id)) throw new Error('not a tenant id');
  return `'${id}'::uuid`;
}

export async function ownerSession(ownerUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'kontor-tenant-move' });
  await client.connect();
  return client;
}

/** Every ordinary or partitioned table of the schema (not partitions), as the catalog describes it. */
export async function catalog(client: pg.Client): Promise<TableInfo[]> {
  const { rows } = await client.query<{
    name: string; columns: string[]; identity: string[]; pk: string[]; fk_cols: string[] | null; fk_refs: string[] | null; deps: string[] | null;
  }>(`
    select c.relname as name,
      array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
             order by a.attnum) as columns,
      array(select a.attname::text from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
               and (a.attidentity <> '' or pg_get_expr(d.adbin, d.adrelid) like 'nextval(%')) as identity,
      array(select a.attname::text from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
             where i.indrelid = c.oid and i.indisprimary order by array_position(i.indkey::int2[], a.attnum)) as pk,
      (select array_agg(a.attname::text order by k.conname) from pg_constraint k join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
        where k.conrelid = c.oid and k.contype = 'f' and cardinality(k.conkey) = 1) as fk_cols,
      (select array_agg(r.relname::text order by k.conname) from pg_constraint k join pg_class r on r.oid = k.confrelid
        where k.conrelid = c.oid and k.contype = 'f' and cardinality(k.conkey) = 1) as fk_refs,
      (select array_agg(distinct r.relname::text) from pg_constraint k join pg_class r on r.oid = k.confrelid
        where k.conrelid = c.oid and k.contype = 'f' and k.confrelid <> c.oid) as deps
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
    order by c.relname`);
  return rows.map((r) => {
    const wholeKey = r.pk.length === 1 && r.identity.includes(r.pk[0]!);
    const references: Record<string, string> = {};
    (r.fk_cols ?? []).forEach((col, i) => { references[col] = r.fk_refs![i]!; });
    return {
      name: r.name,
      columns: r.columns.filter((c) => !(wholeKey && c === r.pk[0])),
      renumbered: wholeKey ? [r.pk[0]!] : [],
      sequenced: wholeKey ? r.identity.filter((c) => c !== r.pk[0]) : r.identity,
      primaryKey: r.pk,
      hasTenantId: r.columns.includes('tenant_id'),
      references,
      dependsOn: r.deps ?? [],
    };
  });
}

/** Ephemeral rows that never travel: a session is bound to the source's signing key and ends anyway (and so does the note why it ended). */
const NOT_EXPORTED = new Set(['sessions', 'session_ends', 'knex_migrations', 'knex_migrations_lock']);
/** Sign-in chains are named `<tenant>/<outcome>` instead of carrying a tenant_id column. */
const LOGIN_CHAIN_TABLES = ['login_chain_heads', 'login_chain_anchors'];

/** Tables in an order where every referenced table comes first (the import loads them so). */
export function loadOrder(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const out: TableInfo[] = [];
  const visit = (t: TableInfo, path: string[]) => {
    if (done.has(t.name)) return;
    if (path.includes(t.name)) throw new Error(`foreign keys form a cycle: ${[...path, t.name].join(' → ')}`);
    for (const dep of t.dependsOn) {
      const d = byName.get(dep);
      if (d) visit(d, [...path, t.name]);
    }
    done.add(t.name);
    out.push(t);
  };
  for (const t of [...tables].sort((a, b) => (a.name < b.name ? -1 : 1))) visit(t, []);
  return out;
}

/** Which tables of the catalog travel with a bank, and how their rows are selected. */
export function selection(all: TableInfo[], tenantId: string): { table: TableInfo; where: string }[] {
  const bank = uuidLiteral(tenantId);
  const bankUsers = `(select u.id from users u where u.tenant_id = ${bank})`;
  const chosen: { table: TableInfo; where: string }[] = [];
  for (const t of all) {
    if (NOT_EXPORTED.has(t.name)) continue;
    if (t.name === 'tenants') chosen.push({ table: t, where: `t.id = ${bank}` });
    else if (t.hasTenantId) chosen.push({ table: t, where: `t.tenant_id = ${bank}` });
    else if (LOGIN_CHAIN_TABLES.includes(t.name)) chosen.push({ table: t, where: `t.chain like ${bank}::text || '/%'` });
    else {
      const userColumn = Object.entries(t.references).find(([, ref]) => ref === 'users')?.[0];
      if (userColumn) chosen.push({ table: t, where: `t.${ident(userColumn)} in ${bankUsers}` });
    }
  }
  const order = loadOrder(chosen.map((c) => c.table)).map((t) => t.name);
  return chosen.sort((a, b) => order.indexOf(a.table.name) - order.indexOf(b.table.name));
}

export async function bankUserIds(client: pg.Client, tenantId: string): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>('select id::text as id from users where tenant_id = $1', [tenantId]);
  return rows.map((r) => r.id);
}

export async function latestMigration(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ name: string }>('select max(name) as name from knex_migrations');
  return rows[0]!.name;
}

export async function commitSession(client: pg.Client): Promise<void> {
  await client.query('commit');
}

/** After a failure: whatever the session's transaction did is undone (an error here is moot, the session ends next). */
export async function rollbackSession(client: pg.Client): Promise<void> {
  await client.query('rollback').catch(() => undefined);
}

/** One snapshot for the whole export, with the bank's rows visible through row-level security. */
export async function beginTenantSnapshot(client: pg.Client, tenantId: string, readOnly: boolean): Promise<void> {
  await client.query(readOnly ? 'begin isolation level repeatable read read only' : 'begin');
  await client.query("select set_config('app.tenant_id', $1, true)", [tenantId]);
  await seeAllDepartments(client, tenantId);
}

/** A bank moves whole: every one of its departments is visible to the move (again once they are loaded). */
export async function seeAllDepartments(client: pg.Client, tenantId: string): Promise<void> {
  await client.query(ALL_DEPARTMENTS_SQL.pg, [tenantId]);
}

export async function tenantRow(client: pg.Client, tenantId: string): Promise<{ id: string; name: string; is_vendor: boolean } | undefined> {
  const { rows } = await client.query<{ id: string; name: string; is_vendor: boolean }>('select id, name, is_vendor from tenants where id = $1', [tenantId]);
  return rows[0];
}

/**
 * The select of one table's rows for the export: its own rows (`where`), columns in catalog order,
 * a role reference written as `key:<key>` for a built-in role (the same in every installation)
 * or the role's id for a custom one, ordered by the primary key so equal rows give equal bytes.
 */
export function exportQuery(t: TableInfo, where: string, roleColumns: string[]): string {
  const cols = t.columns.map((c) => (roleColumns.includes(c)
    ? `(select coalesce('key:' || r.key, r.id::text) from roles r where r.id = t.${ident(c)}) as ${ident(c)}`
    : `t.${ident(c)}`));
  const order = t.renumbered.length || t.primaryKey.length === 0 ? t.columns : t.primaryKey;
  return `select ${cols.join(', ')} from ${ident(t.name)} t where ${where} order by ${order.map((c) => `t.${ident(c)}`).join(', ')}`;
}

export async function copyOut(client: pg.Client, query: string, file: string): Promise<void> {
  await pipeline(client.query(copyTo(`copy (${query}) to stdout`)), fs.createWriteStream(file, { mode: 0o600, flags: 'wx' }));
}

export async function countRows(client: pg.Client, query: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`select count(*)::text as n from (${query}) q`);
  return Number(rows[0]!.n);
}

/** Referenced ids in `column` of the export's rows that are not among `known`. */
export async function foreignIds(client: pg.Client, t: TableInfo, where: string, column: string): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(`select distinct t.${ident(column)}::text as id from ${ident(t.name)} t where ${where} and t.${ident(column)} is not null`);
  return rows.map((r) => r.id);
}

export async function rolesById(client: pg.Client, ids: string[]): Promise<{ id: string; key: string | null; name: string; builtin: boolean; assignable_in_tenants: boolean; rights: string[] }[]> {
  const { rows } = await client.query(
    `select r.id, r.key, r.name, r.builtin, r.assignable_in_tenants,
            coalesce((select array_agg(rr.area || ':' || rr.access order by rr.area, rr.access) from role_rights rr where rr.role_id = r.id), '{}') as rights
       from roles r where r.id = any($1::uuid[]) order by r.id`, [ids]);
  return rows;
}

// --- import ---------------------------------------------------------------------------------------

export async function existingUsers(client: pg.Client, ids: string[], emails: string[]): Promise<{ id: string; email: string }[]> {
  const { rows } = await client.query<{ id: string; email: string }>(
    'select id, email from users where id = any($1::uuid[]) or lower(email) = any($2::text[])', [ids, emails.map((e) => e.toLowerCase())]);
  return rows;
}

export async function tenantConflict(client: pg.Client, id: string, name: string): Promise<'id' | 'name' | undefined> {
  const { rows } = await client.query<{ id: string }>('select id from tenants where id = $1 or lower(name) = lower($2)', [id, name]);
  if (rows.length === 0) return undefined;
  return rows.some((r) => r.id === id) ? 'id' : 'name';
}

export async function vendorTenantId(client: pg.Client): Promise<string | undefined> {
  const { rows } = await client.query<{ id: string }>('select id from tenants where is_vendor');
  return rows[0]?.id;
}

/** Someone of the other installation that the bank's records name (vendor staff): kept as a deleted account of the vendor. */
export async function insertStubUser(client: pg.Client, id: string, vendorTenant: string, now: Date): Promise<void> {
  await client.query(
    "insert into users (id, tenant_id, email, name, status, deleted_at) values ($1, $2, $3, 'Staff of another installation', 'deleted', $4)",
    [id, vendorTenant, `moved-${id}@invalid.invalid`, now]);
}

export async function roleIdByKey(client: pg.Client, key: string): Promise<string | undefined> {
  const { rows } = await client.query<{ id: string }>('select id from roles where key = $1', [key]);
  return rows[0]?.id;
}

export async function roleById(client: pg.Client, id: string): Promise<{ id: string; name: string } | undefined> {
  const { rows } = await client.query<{ id: string; name: string }>('select id, name from roles where id = $1', [id]);
  return rows[0];
}

export async function roleNameTaken(client: pg.Client, name: string): Promise<boolean> {
  const { rows } = await client.query('select 1 from roles where name = $1', [name]);
  return rows.length > 0;
}

export async function insertRole(client: pg.Client, role: { id: string; name: string; builtin: boolean; assignable_in_tenants: boolean; rights: string[] }): Promise<void> {
  await client.query('insert into roles (id, name, builtin, assignable_in_tenants) values ($1, $2, $3, $4)', [role.id, role.name, role.builtin, role.assignable_in_tenants]);
  for (const right of role.rights) {
    const [area, access] = right.split(':');
    await client.query('insert into role_rights (role_id, area, access) values ($1, $2, $3)', [role.id, area, access]);
  }
}

/**
 * Loads one table's rows. COPY cannot write into a row-level-secured table, so the rows go into a
 * staging table first and then in with one INSERT (which the tenant policy checks); ids are kept
 * (OVERRIDING SYSTEM VALUE), role references are mapped. The table's user triggers are off
 * meanwhile (the chain triggers would re-chain records that already carry their hashes); ALTER
 * TABLE holds its lock until commit, so no other session ever inserts while they are off.
 */
export async function copyIn(client: pg.Client, t: TableInfo, columns: string[], roleColumns: string[], source: Readable): Promise<void> {
  const cols = columns.map(ident).join(', ');
  await client.query(`create temp table kontor_stage on commit drop as select ${cols} from ${ident(t.name)} with no data`);
  for (const c of roleColumns) await client.query(`alter table kontor_stage alter column ${ident(c)} type text`);
  await pipeline(source, client.query(copyFrom(`copy kontor_stage (${cols}) from stdin`)));
  const mapped = columns.map((c) => (roleColumns.includes(c) ? `(select m.id from kontor_role_map m where m.ref = s.${ident(c)})` : `s.${ident(c)}`));
  await client.query(`alter table ${ident(t.name)} disable trigger user`);
  await client.query(`insert into ${ident(t.name)} (${cols}) overriding system value select ${mapped.join(', ')} from kontor_stage s`);
  await client.query(`alter table ${ident(t.name)} enable trigger user`);
  await client.query('drop table kontor_stage');
}

export async function createRoleMap(client: pg.Client, map: Map<string, string>): Promise<void> {
  await client.query('create temp table kontor_role_map (ref text primary key, id uuid not null) on commit drop');
  for (const [ref, id] of map) await client.query('insert into kontor_role_map (ref, id) values ($1, $2)', [ref, id]);
}

/** Moves a kept identity/serial sequence past the imported values, so the target's next rows never collide. */
export async function advanceSequence(client: pg.Client, t: TableInfo, column: string): Promise<void> {
  const { rows } = await client.query<{ seq: string | null }>('select pg_get_serial_sequence($1, $2) as seq', [t.name, column]);
  const seq = rows[0]?.seq;
  if (!seq) return;
  const max = await client.query<{ m: string | null }>(`select max(${ident(column)})::text as m from ${ident(t.name)}`);
  if (max.rows[0]?.m === null || max.rows[0]?.m === undefined) return;
  await client.query('select setval($1::regclass, greatest($2::bigint, coalesce(pg_sequence_last_value($1::regclass), 1)))', [seq, max.rows[0].m]);
}

export async function factorsOf(client: pg.Client, userIds: string[]): Promise<{ user_id: string; secret_enc: string }[]> {
  const { rows } = await client.query<{ user_id: string; secret_enc: string }>('select user_id, secret_enc from user_totp where user_id = any($1::uuid[])', [userIds]);
  return rows;
}

export async function updateFactor(client: pg.Client, userId: string, secretEnc: string): Promise<void> {
  await client.query('update user_totp set secret_enc = $2 where user_id = $1', [userId, secretEnc]);
}
