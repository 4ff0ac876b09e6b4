import type { Knex } from 'knex';

/** SQL for the staff of one tenant: memberships and their roles (tenant tables) joined with users (platform). */

export interface MemberRow {
  id: string;
  email: string;
  name: string;
  status: 'active' | 'locked' | 'deleted';
  homeTenant: boolean;
  roleIds: string[];
  roleNames: string[];
  lastLoginAt: Date | null;
  createdAt: Date;
  /** Switched off for not signing in (recertification); only an admin reactivates. */
  deactivatedAt: Date | null;
  /** A confirmed authenticator app or a passkey. */
  secondFactor: boolean;
}

export async function listMembers(trx: Knex.Transaction, tenantId: string, includeDeleted: boolean, userId?: string): Promise<MemberRow[]> {
  const q = trx('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .leftJoin('membership_roles as mr', (j) => j.on('mr.tenant_id', 'm.tenant_id').andOn('mr.user_id', 'm.user_id'))
    .leftJoin('roles as r', 'r.id', 'mr.role_id')
    .where('m.tenant_id', tenantId)
    .groupBy('u.id')
    .orderBy('u.email')
    .select(
      'u.id', 'u.email', 'u.name', 'u.status', 'u.last_login_at', 'u.created_at', 'u.deactivated_at',
      trx.raw('(u.tenant_id = ?) as home', [tenantId]),
      trx.raw("coalesce(array_agg(r.id order by r.name) filter (where r.id is not null), '{}') as role_ids"),
      trx.raw("coalesce(array_agg(r.name order by r.name) filter (where r.id is not null), '{}') as role_names"),
      trx.raw(`(exists (select 1 from user_totp f where f.user_id = u.id and f.confirmed_at is not null)
        or exists (select 1 from user_passkeys k where k.user_id = u.id)) as second_factor`),
    );
  if (!includeDeleted) q.whereNot('u.status', 'deleted');
  if (userId) q.where('u.id', userId);
  const rows = (await q) as {
    id: string; email: string; name: string; status: MemberRow['status']; last_login_at: Date | null; created_at: Date; deactivated_at: Date | null;
    home: boolean; role_ids: string[]; role_names: string[]; second_factor: boolean;
  }[];
  return rows.map((r) => ({
    id: r.id, email: r.email, name: r.name, status: r.status, homeTenant: r.home, roleIds: r.role_ids, roleNames: r.role_names,
    lastLoginAt: r.last_login_at, createdAt: r.created_at, deactivatedAt: r.deactivated_at, secondFactor: r.second_factor,
  }));
}

export async function findMember(trx: Knex.Transaction, tenantId: string, userId: string): Promise<MemberRow | undefined> {
  return (await listMembers(trx, tenantId, true, userId))[0];
}

export async function emailTaken(db: Knex, email: string): Promise<boolean> {
  return Boolean(await db('users').whereRaw('lower(email) = lower(?)', [email]).first('id'));
}

export async function insertUser(trx: Knex.Transaction, homeTenantId: string, email: string, name: string, mustChangePassword = false): Promise<string> {
  const [row] = await trx('users').insert({ tenant_id: homeTenantId, email, name, must_change_password: mustChangePassword }).returning('id');
  return (row as { id: string }).id;
}

export async function anyUserExists(db: Knex): Promise<boolean> {
  return Boolean(await db('users').first('id'));
}

export async function addMembership(trx: Knex.Transaction, tenantId: string, userId: string, roleIds: string[]): Promise<void> {
  await trx('memberships').insert({ tenant_id: tenantId, user_id: userId }).onConflict(['tenant_id', 'user_id']).ignore();
  await setRoles(trx, tenantId, userId, roleIds);
}

export async function setRoles(trx: Knex.Transaction, tenantId: string, userId: string, roleIds: string[]): Promise<void> {
  await trx('membership_roles').where({ tenant_id: tenantId, user_id: userId }).delete();
  if (roleIds.length) await trx('membership_roles').insert(roleIds.map((roleId) => ({ tenant_id: tenantId, user_id: userId, role_id: roleId })));
}

/** The membership and its roles; the caller ends the sessions first (they would otherwise go by cascade, unnoted). */
export async function removeMembership(trx: Knex.Transaction, tenantId: string, userId: string): Promise<void> {
  await trx('membership_roles').where({ tenant_id: tenantId, user_id: userId }).delete();
  await trx('memberships').where({ tenant_id: tenantId, user_id: userId }).delete();
}

export async function setName(trx: Knex.Transaction, userId: string, name: string): Promise<void> {
  await trx('users').where({ id: userId }).update({ name });
}

export async function setStatus(trx: Knex.Transaction, userId: string, status: 'active' | 'locked' | 'deleted', at: Date): Promise<void> {
  const fields: Record<string, unknown> = { status };
  // An admin unlocking a dormant account reactivates it; its inactivity clock restarts.
  if (status === 'active') {
    Object.assign(fields, { failed_login_count: 0, locked_at: null, deactivation_warned_at: null });
    fields.reactivated_at = trx.raw('case when deactivated_at is null then reactivated_at else ? end', [at]);
    fields.deactivated_at = null;
  }
  if (status === 'locked') fields.locked_at = at;
  if (status === 'deleted') fields.deleted_at = at;
  await trx('users').where({ id: userId }).update(fields);
}

