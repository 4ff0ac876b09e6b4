import type { Knex } from 'knex';

/** SQL for data containers (tenant table `containers`); row-level security adds the tenant on every statement. */

export interface ContainerRow {
  id: string;
  department_id: string;
  department_name: string;
  name: string;
  locked: boolean;
  created_at: Date;
  last_import_at: Date | null;
  last_calculated_at: Date | null;
  groups_count: number;
  products_count: number;
  payments_count: number;
}

function withDepartment(trx: Knex.Transaction, tenantId: string) {
  return trx('containers as c').join('departments as d', (j) => j.on('d.tenant_id', 'c.tenant_id').andOn('d.id', 'c.department_id'))
    .where('c.tenant_id', tenantId).select('c.*', 'd.name as department_name');
}

export async function findContainer(trx: Knex.Transaction, tenantId: string, id: string): Promise<ContainerRow | undefined> {
  return (await withDepartment(trx, tenantId).andWhere('c.id', id).first()) as ContainerRow | undefined;
}

/** The containers this request may see, by department and name; `departmentId` narrows to one. */
export async function listContainers(trx: Knex.Transaction, tenantId: string, departmentId?: string): Promise<ContainerRow[]> {
  const q = withDepartment(trx, tenantId).orderBy([{ column: 'd.name' }, { column: 'c.name' }]);
  if (departmentId) q.andWhere('c.department_id', departmentId);
  return (await q) as ContainerRow[];
}

/** Names are unique per department. */
export async function containerNameTaken(trx: Knex.Transaction, tenantId: string, departmentId: string, name: string): Promise<boolean> {
  return Boolean(await trx('containers').where({ tenant_id: tenantId, department_id: departmentId, name }).first('id'));
}

export async function insertContainer(trx: Knex.Transaction, row: { tenantId: string; departmentId: string; id: string; name: string; userId: string; at: Date }): Promise<void> {
  await trx('containers').insert({ tenant_id: row.tenantId, department_id: row.departmentId, id: row.id, name: row.name, created_by: row.userId, created_at: row.at });
}

export async function updateContainer(trx: Knex.Transaction, tenantId: string, id: string, fields: { name?: string; locked?: boolean; department_id?: string }): Promise<void> {
  await trx('containers').where({ tenant_id: tenantId, id }).update(fields);
}

export async function deleteContainer(trx: Knex.Transaction, tenantId: string, id: string): Promise<void> {
  await trx('containers').where({ tenant_id: tenantId, id }).delete();
}

/** The newest import of each kind in a container. */
export async function latestImports<T>(trx: Knex.Transaction, tenantId: string, containerId: string): Promise<T[]> {
  return (await trx('imports').where({ tenant_id: tenantId, container_id: containerId })
    .distinctOn('kind').orderBy([{ column: 'kind' }, { column: 'created_at', order: 'desc' }])) as T[];
}

/** Imports of the bank still queued or running, newest first, with their container's name (the overview's running jobs). */
export async function activeImports<T>(trx: Knex.Transaction, tenantId: string, limit: number): Promise<(T & { container_name: string })[]> {
  return (await trx('imports as i')
    .join('containers as k', function joinContainer() {
      this.on('k.id', '=', 'i.container_id').andOn('k.tenant_id', '=', 'i.tenant_id');
    })
    .where('i.tenant_id', tenantId).whereIn('i.status', ['queued', 'running'])
    .orderBy('i.created_at', 'desc').limit(limit)
    .select('i.*', 'k.name as container_name')) as (T & { container_name: string })[];
}

// ---- retention (DESIGN §1: unlocked containers end after the bank's retention period) ----------

export async function retentionDays(trx: Knex.Transaction, tenantId: string): Promise<number> {
  const settings = await trx('tenant_settings').where({ tenant_id: tenantId }).first('retention_days');
  return (settings?.retention_days as number | undefined) ?? 1095;
}

function lastUse(trx: Knex.Transaction): Knex.Raw {
  return trx.raw('coalesce(greatest(last_calculated_at, last_import_at), last_import_at, created_at)');
}

/** Unlocked containers last used before `before`. */
export async function unusedSince(trx: Knex.Transaction, tenantId: string, before: Date): Promise<{ id: string; name: string; groups_count: number }[]> {
  return trx('containers').where({ tenant_id: tenantId, locked: false }).where(lastUse(trx), '<', before).select('id', 'name', 'groups_count');
}

/** Unlocked containers last used before `before` whose admins have not been warned since that use. */
export async function unwarnedUnusedSince(trx: Knex.Transaction, tenantId: string, before: Date): Promise<{ id: string; name: string }[]> {
  return trx('containers').where({ tenant_id: tenantId, locked: false }).where(lastUse(trx), '<', before)
    .where((q) => { q.whereNull('retention_warned_at').orWhere('retention_warned_at', '<', lastUse(trx)); })
    .select<{ id: string; name: string }[]>('id', 'name');
}

export async function markRetentionWarned(trx: Knex.Transaction, tenantId: string, ids: string[], at: Date): Promise<void> {
  await trx('containers').whereIn('id', ids).where({ tenant_id: tenantId }).update({ retention_warned_at: at });
}

/** Active tenant admins of the bank's own staff (vendor staff are not mailed about a bank's containers). */
/** Active tenant admins with the language each chose (null: never chose), for the retention warning. */
export async function tenantAdminRecipients(trx: Knex.Transaction, tenantId: string): Promise<{ email: string; locale: 'de' | 'en' | null }[]> {
  return trx('membership_roles as mr').join('roles as r', 'r.id', 'mr.role_id').join('users as u', 'u.id', 'mr.user_id')
    .where({ 'mr.tenant_id': tenantId, 'r.key': 'tenant_admin', 'u.status': 'active' }).where('u.tenant_id', tenantId)
    .distinct<{ email: string; locale: 'de' | 'en' | null }[]>('u.email', 'u.locale');
}

export async function activeTenantIds(db: Knex, only?: string[]): Promise<string[]> {
  const q = db('tenants').whereNull('deactivated_at');
  if (only) q.whereIn('id', only);
  return (await q.pluck('id')) as string[];
}
