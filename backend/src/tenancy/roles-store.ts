import type { Knex } from 'knex';
import { isVendorOnly } from './rights.js';

export interface RoleRow {
  id: string;
  key: string | null;
  name: string;
  builtin: boolean;
  assignableInTenants: boolean;
  rights: string[];
  vendorOnly: boolean;
}

/** Roles and their rights (platform tables). */
export async function listRoles(db: Knex, ids?: string[]): Promise<RoleRow[]> {
  const q = db('roles as r')
    .leftJoin('role_rights as rr', 'rr.role_id', 'r.id')
    .groupBy('r.id')
    .orderBy('r.name')
    .select('r.id', 'r.key', 'r.name', 'r.builtin', 'r.assignable_in_tenants', db.raw("coalesce(array_agg(rr.area || ':' || rr.access order by rr.area, rr.access) filter (where rr.area is not null), '{}') as rights"));
  if (ids) q.whereIn('r.id', ids);
  const rows = (await q) as { id: string; key: string | null; name: string; builtin: boolean; assignable_in_tenants: boolean; rights: string[] }[];
  return rows.map((r) => ({
    id: r.id, key: r.key, name: r.name, builtin: r.builtin, assignableInTenants: r.assignable_in_tenants, rights: r.rights,
    vendorOnly: r.rights.some((x) => isVendorOnly(x.split(':')[0]!)),
  }));
}

/** Ids of built-in roles by key (`tenant_admin`, `analyst`, `superadmin`, …). */
export async function roleIdsByKey(db: Knex, keys: string[]): Promise<Record<string, string>> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex select generics do not narrow this row shape
  const rows = (await db('roles').whereIn('key', keys).select('key', 'id')) as { key: string; id: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, r.id]));
}

export async function roleNameTaken(db: Knex, name: string): Promise<boolean> {
  return Boolean(await db('roles').where({ name }).first('id'));
}

export async function insertRole(db: Knex, role: { name: string; assignableInTenants: boolean; rights: string[] }): Promise<string> {
  const [row] = await db('roles').insert({ name: role.name, assignable_in_tenants: role.assignableInTenants }).returning('id');
  const id = (row as { id: string }).id;
  await replaceRights(db, id, role.rights);
  return id;
}

export async function updateRole(db: Knex, id: string, patch: { name?: string; assignableInTenants?: boolean; rights?: string[] }): Promise<void> {
  const fields: Record<string, unknown> = {};
  if (patch.name !== undefined) fields.name = patch.name;
  if (patch.assignableInTenants !== undefined) fields.assignable_in_tenants = patch.assignableInTenants;
  if (Object.keys(fields).length) await db('roles').where({ id }).update(fields);
  if (patch.rights) await replaceRights(db, id, patch.rights);
}

async function replaceRights(db: Knex, roleId: string, rights: string[]): Promise<void> {
  await db('role_rights').where({ role_id: roleId }).delete();
  if (rights.length) {
    await db('role_rights').insert(rights.map((r) => {
      const [area, access] = r.split(':');
      return { role_id: roleId, area, access };
    }));
  }
}

/** Whether the user holds the role anywhere they can reach (home tenant or a granted one). */
export async function userHoldsRole(trx: Knex.Transaction, tenantId: string, userId: string, roleId: string): Promise<boolean> {
  return Boolean(await trx('membership_roles').where({ tenant_id: tenantId, user_id: userId, role_id: roleId }).first('role_id'));
}
