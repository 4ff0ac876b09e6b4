import type { Knex } from 'knex';
import { Forbidden, Invalid } from '../http/errors.js';
import { listRoles, type RoleRow } from './roles-store.js';

/** The roles behind `roleIds`, or 400 naming the field if any is unknown. */
export async function resolveRoles(db: Knex, roleIds: string[]): Promise<RoleRow[]> {
  const unique = [...new Set(roleIds)];
  const roles = unique.length ? await listRoles(db, unique) : [];
  if (roles.length !== unique.length) throw new Invalid('roleIds: contains an unknown role.', 'roleIds');
  return roles;
}

/**
 * Inside a bank's tenant only roles the vendor marked assignable there, and never one that
 * carries a vendor-only right: a tenant admin cannot mint platform power.
 */
export async function assertAssignableInTenant(db: Knex, roleIds: string[]): Promise<void> {
  for (const role of await resolveRoles(db, roleIds)) {
    if (!role.assignableInTenants || role.vendorOnly) {
      throw new Forbidden('role_not_assignable', `The role "${role.name}" cannot be assigned in a bank's tenant.`);
    }
  }
}
