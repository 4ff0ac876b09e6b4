import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { inTenant } from '../db/tenant-transaction.js';
import * as users from '../users/users-store.js';
import { roleIdsByKey } from './roles-store.js';
import * as tenants from './tenants-store.js';

export interface NewMember {
  email: string;
  name: string;
  /** A built-in role's key (`tenant_admin`, `analyst`, `superadmin`). */
  roleKey: string;
}

/**
 * The one way a new tenant comes to be (the vendor's new bank, the demo bank, the vendor tenant at
 * the first start): its rows (tenants-store.insertTenant) and its first members, in one transaction
 * in the new tenant. `then` runs in that transaction too (audit, invitations, demo rows), so a
 * failure there leaves no tenant behind.
 */
export async function createTenant(
  db: Knex,
  input: { name: string; isVendor: boolean; modules: tenants.ModuleLicence[]; members: NewMember[] },
  then?: (trx: Knex.Transaction, tenantId: string, userIds: string[]) => Promise<void>,
): Promise<{ tenantId: string; userIds: string[] }> {
  const tenantId = randomUUID();
  const roleIds = await roleIdsByKey(db, [...new Set(input.members.map((m) => m.roleKey))]);
  const userIds = await inTenant(db, tenantId, async (trx) => {
    await tenants.insertTenant(trx, { id: tenantId, name: input.name, isVendor: input.isVendor, modules: input.modules });
    const ids = await addMembers(trx, tenantId, input.members, roleIds);
    await then?.(trx, tenantId, ids);
    return ids;
  });
  return { tenantId, userIds };
}

/** Users with their home in `tenantId`, each a member with one built-in role. */
export async function addMembers(
  trx: Knex.Transaction, tenantId: string, members: (NewMember & { mustChangePassword?: boolean })[], roleIds: Record<string, string>,
): Promise<string[]> {
  const ids: string[] = [];
  for (const m of members) {
    const roleId = roleIds[m.roleKey];
    if (!roleId) throw new Error(`built-in role ${m.roleKey} is missing`);
    const userId = await users.insertUser(trx, tenantId, m.email, m.name, m.mustChangePassword ?? false);
    await users.addMembership(trx, tenantId, userId, [roleId]);
    ids.push(userId);
  }
  return ids;
}
