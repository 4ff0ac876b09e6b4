import type { Knex } from 'knex';

/**
 * SQL for departments ("Bereiche") and who belongs to them (tenant tables `departments`,
 * `membership_departments`). These two tables carry only the tenant policy: they say which
 * departments a request may see, so the guard must read them before any department is set.
 */

export const DEFAULT_DEPARTMENT_NAME = 'Gesamthaus';

export interface DepartmentRow {
  id: string;
  name: string;
  created_at: Date;
  archived_at: Date | null;
  members: number;
}

export async function listDepartments(trx: Knex.Transaction, tenantId: string, onlyIds?: readonly string[]): Promise<DepartmentRow[]> {
  const q = trx('departments as d').where('d.tenant_id', tenantId).orderBy('d.name')
    .select('d.id', 'd.name', 'd.created_at', 'd.archived_at',
      trx.raw('(select count(*)::int from membership_departments md where md.tenant_id = d.tenant_id and md.department_id = d.id) as members'));
  if (onlyIds) q.whereIn('d.id', onlyIds);
  return (await q) as DepartmentRow[];
}

export async function findDepartment(trx: Knex.Transaction, tenantId: string, id: string): Promise<DepartmentRow | undefined> {
  return (await listDepartments(trx, tenantId, [id]))[0];
}

export async function departmentNameTaken(trx: Knex.Transaction, tenantId: string, name: string, exceptId?: string): Promise<boolean> {
  const q = trx('departments').where({ tenant_id: tenantId }).whereRaw('lower(name) = lower(?)', [name]);
  if (exceptId) q.whereNot({ id: exceptId });
  return Boolean(await q.first('id'));
}

export async function insertDepartment(trx: Knex.Transaction, row: { tenantId: string; id: string; name: string; at: Date }): Promise<void> {
  await trx('departments').insert({ tenant_id: row.tenantId, id: row.id, name: row.name, created_at: row.at });
}

export async function updateDepartment(trx: Knex.Transaction, tenantId: string, id: string, fields: { name?: string; archived_at?: Date | null }): Promise<void> {
  await trx('departments').where({ tenant_id: tenantId, id }).update(fields);
}

/** A new bank's one department, which its first members join. */
export async function createDefaultDepartment(trx: Knex.Transaction, tenantId: string, at: Date): Promise<string> {
  const [row] = await trx('departments').insert({ tenant_id: tenantId, name: DEFAULT_DEPARTMENT_NAME, created_at: at }).returning('id');
  return (row as { id: string }).id;
}

/** The bank's departments that are not archived (what a new container, template or member may join). */
export async function activeDepartmentIds(trx: Knex.Transaction, tenantId: string): Promise<string[]> {
  return (await trx('departments').where({ tenant_id: tenantId }).whereNull('archived_at').orderBy('name').pluck('id')) as string[];
}

export async function memberDepartmentIds(trx: Knex.Transaction, tenantId: string, userId: string): Promise<string[]> {
  return (await trx('membership_departments').where({ tenant_id: tenantId, user_id: userId }).orderBy('department_id').pluck('department_id')) as string[];
}

/** Department ids of many members at once (the users list). */
export async function departmentsOfMembers(trx: Knex.Transaction, tenantId: string): Promise<Map<string, string[]>> {
  const rows = await trx('membership_departments').where({ tenant_id: tenantId }).orderBy('department_id')
    .select<{ user_id: string; department_id: string }[]>('user_id', 'department_id');
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.user_id, [...(out.get(r.user_id) ?? []), r.department_id]);
  return out;
}

export async function setMemberDepartments(trx: Knex.Transaction, tenantId: string, userId: string, departmentIds: readonly string[]): Promise<void> {
  await trx('membership_departments').where({ tenant_id: tenantId, user_id: userId }).delete();
  if (departmentIds.length) {
    await trx('membership_departments').insert(departmentIds.map((departmentId) => ({ tenant_id: tenantId, user_id: userId, department_id: departmentId })));
  }
}

/**
 * The departments a user's request in a bank may see, as a uuid array literal: a member's own
 * (only the bank's own staff are members of departments); for vendor staff (users whose home is another tenant) every department where the bank's access
 * mode is `open`, else the departments the open access window names (the bank's approval).
 * Bindings: see `departmentBindings`.
 */
const REQUEST_DEPARTMENTS = `coalesce((
  select array_agg(d.id order by d.id)::text from departments d
   where d.tenant_id = ?
     and (exists (select 1 from membership_departments md join users h on h.id = md.user_id and h.tenant_id = md.tenant_id
                   where md.tenant_id = d.tenant_id and md.user_id = ? and md.department_id = d.id)
          or (exists (select 1 from users u where u.id = ? and u.tenant_id <> d.tenant_id)
              and (coalesce((select s.access_mode from tenant_settings s where s.tenant_id = d.tenant_id), 'approval') = 'open'
                   or exists (select 1 from access_requests r
                               where r.tenant_id = d.tenant_id and r.requester_id = ? and r.status = 'approved'
                                 and r.starts_at <= ? and r.ends_at > ? and d.id = any(r.department_ids))))) ), '{}')`;

function departmentBindings(tenantId: string, userId: string, now: Date): (string | Date)[] {
  return [tenantId, userId, userId, userId, now, now];
}

function parseIds(text: string | undefined): string[] {
  return !text || text === '{}' ? [] : text.slice(1, -1).split(',');
}

/**
 * Sets the request's departments (`app.department_ids`, transaction-local) and returns them.
 * None set means no department-owned row.
 */
export async function setRequestDepartments(trx: Knex.Transaction, tenantId: string, userId: string, now: Date): Promise<string[]> {
  const { rows } = await trx.raw<{ rows: { ids: string }[] }>(
    `select set_config('app.department_ids', ${REQUEST_DEPARTMENTS}, true) as ids`, departmentBindings(tenantId, userId, now));
  return parseIds(rows[0]?.ids);
}

/** What `setRequestDepartments` would set for this user, without setting it (four-eyes: the proposer's). */
export async function requestDepartmentIds(trx: Knex.Transaction, tenantId: string, userId: string, now: Date): Promise<string[]> {
  const { rows } = await trx.raw<{ rows: { ids: string }[] }>(`select ${REQUEST_DEPARTMENTS} as ids`, departmentBindings(tenantId, userId, now));
  return parseIds(rows[0]?.ids);
}
