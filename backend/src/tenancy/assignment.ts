import type { Knex } from 'knex';
import { fail } from '../http/error-catalogue.js';
import { holds, type Access, type Area } from './rights.js';
import { listRoles, type RoleRow } from './roles-store.js';

/** The roles behind `roleIds`, or 400 naming the field if any is unknown. */
export async function resolveRoles(db: Knex, roleIds: string[]): Promise<RoleRow[]> {
  const unique = [...new Set(roleIds)];
  const roles = unique.length ? await listRoles(db, unique) : [];
  if (roles.length !== unique.length) throw fail('invalid_input', { reason: 'unknown_role', field: 'roleIds' });
  return roles;
}

/**
 * Customer-data rights. An administrator hands these out without holding them (DESIGN §2: a tenant
 * admin creates analysts without seeing customer data; vendor administration grants support a
 * reader role in a bank). Every other right — users, audit, settings and the vendor-only ones —
 * is power over accounts, roles or records, and only someone who holds it can pass it on.
 */
export const DELEGATED_AREAS: readonly string[] = ['containers', 'segmentation', 'leasing', 'export'];

/** The rights in `rights` that the holder of `held` may not hand out (empty: all may be). */
export function rightsNotHeld(held: ReadonlySet<string>, rights: Iterable<string>): string[] {
  return [...rights].filter((r) => {
    const [area, access] = r.split(':') as [Area, Access];
    return !DELEGATED_AREAS.includes(area) && !holds(held, area, access);
  });
}

/**
 * Nobody hands out a right they do not hold themselves (issue 13, item 1): every role in `roles`
 * carries only rights the actor holds (or customer-data rights, see above). Used for vendor users'
 * roles, grants, bank users' roles and role definitions alike.
 */
export function assertMayHandOut(held: ReadonlySet<string>, roles: { name: string; rights: string[] }[]): void {
  for (const role of roles) {
    const missing = rightsNotHeld(held, role.rights);
    if (missing.length) {
      throw fail('role_escalation', { role: role.name, rights: missing.join(', ') });
    }
  }
}

/**
 * Inside a bank's tenant only roles the vendor marked assignable there, and never one that
 * carries a vendor-only right: a tenant admin cannot mint platform power.
 */
export async function assertAssignableInTenant(db: Knex, roleIds: string[]): Promise<RoleRow[]> {
  const roles = await resolveRoles(db, roleIds);
  for (const role of roles) {
    if (!role.assignableInTenants || role.vendorOnly) {
      throw fail('role_not_assignable', { reason: 'bank', role: role.name });
    }
  }
  return roles;
}

/** The roles of `next` that `current` (what the user holds now) does not have yet: only these are being handed out. */
export function added(roles: RoleRow[], current: readonly string[]): RoleRow[] {
  return roles.filter((r) => !current.includes(r.id));
}
