import type { Knex } from 'knex';

/** The awaited rows as the shape the query selects (knex cannot infer it through joins). */
async function typed<T>(query: PromiseLike<unknown>): Promise<T> {
  return (await query) as T;
}

/** SQL for four-eyes approvals (tenant table) and who may approve them (memberships, roles, users). */

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'failed';

export interface ApprovalRow {
  tenant_id: string;
  id: string;
  kind: string;
  required_right: string;
  payload: Record<string, unknown>;
  summary: Record<string, unknown>;
  subject_id: string | null;
  reason: string;
  proposed_by: string;
  proposed_at: Date;
  expires_at: Date;
  status: ApprovalStatus;
  decided_by: string | null;
  decided_at: Date | null;
  failure_code: string | null;
}

export interface NewApproval {
  id: string;
  kind: string;
  requiredRight: string;
  payload: unknown;
  summary: unknown;
  subjectId: string | null;
  reason: string;
  proposedBy: string;
  proposedAt: Date;
  expiresAt: Date;
}

export async function fourEyesSetting(trx: Knex.Transaction, tenantId: string): Promise<boolean> {
  const row = await typed<{ four_eyes: boolean } | undefined>(trx('tenant_settings').where({ tenant_id: tenantId }).first('four_eyes'));
  return row?.four_eyes ?? false;
}

/**
 * The bank's own accounts (not vendor staff) that are not deleted or deactivated and hold `right`
 * (area:write) in this tenant, `except` one. A locked-out admin still counts: anyone can lock an
 * account by failing its sign-in, and that must not switch four-eyes off.
 */
export async function otherApprovers(trx: Knex.Transaction, tenantId: string, right: string, except: string): Promise<number> {
  const [area, access] = right.split(':');
  const [row] = await typed<{ n: string | number }[]>(trx('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where('m.tenant_id', tenantId)
    .andWhere('u.tenant_id', tenantId)
    .whereNot('u.status', 'deleted')
    .whereNull('u.deactivated_at')
    .whereNot('u.id', except)
    .whereExists((q) => void q.select(trx.raw('1')).from('membership_roles as mr').join('role_rights as rr', 'rr.role_id', 'mr.role_id')
      .whereRaw('mr.tenant_id = m.tenant_id and mr.user_id = m.user_id')
      .andWhere('rr.area', area)
      .whereIn('rr.access', access === 'read' ? ['read', 'write'] : ['write']))
    .countDistinct({ n: 'u.id' }));
  return Number(row?.n ?? 0);
}

/** The rights `userId` holds in `tenantId` now (before vendor-only filtering), empty if not active. */
export async function currentRights(trx: Knex.Transaction, tenantId: string, userId: string): Promise<string[]> {
  const rows = await typed<{ r: string }[]>(trx('membership_roles as mr')
    .join('role_rights as rr', 'rr.role_id', 'mr.role_id')
    .join('users as u', 'u.id', 'mr.user_id')
    .where({ 'mr.tenant_id': tenantId, 'mr.user_id': userId, 'u.status': 'active' })
    .distinct(trx.raw("rr.area || ':' || rr.access as r")));
  return rows.map((x) => x.r);
}

export async function isHomeUser(trx: Knex.Transaction, tenantId: string, userId: string): Promise<boolean> {
  return Boolean(await trx('users').where({ id: userId, tenant_id: tenantId }).first('id'));
}

export async function insertApproval(trx: Knex.Transaction, tenantId: string, a: NewApproval): Promise<void> {
  await trx('approvals').insert({
    tenant_id: tenantId, id: a.id, kind: a.kind, required_right: a.requiredRight, payload: JSON.stringify(a.payload), summary: JSON.stringify(a.summary),
    subject_id: a.subjectId, reason: a.reason, proposed_by: a.proposedBy, proposed_at: a.proposedAt, expires_at: a.expiresAt,
  });
}

/** The approval, row-locked until the transaction ends: parallel decisions on one change queue up here. */
export async function lockApproval(trx: Knex.Transaction, tenantId: string, id: string): Promise<ApprovalRow | undefined> {
  return typed<ApprovalRow | undefined>(trx('approvals').where({ tenant_id: tenantId, id }).forUpdate().first());
}

export async function decide(trx: Knex.Transaction, tenantId: string, id: string, status: ApprovalStatus, by: string | null, at: Date, failureCode: string | null = null): Promise<void> {
  await trx('approvals').where({ tenant_id: tenantId, id }).update({ status, decided_by: by, decided_at: at, failure_code: failureCode });
}

export interface ApprovalListRow extends ApprovalRow {
  proposer_email: string | null;
  decider_email: string | null;
}

/** Pending ones first, then the last decided ones (bounded). */
export async function listApprovals(trx: Knex.Transaction, tenantId: string, limit: number): Promise<ApprovalListRow[]> {
  return typed<ApprovalListRow[]>(trx('approvals as a')
    .leftJoin('users as p', 'p.id', 'a.proposed_by')
    .leftJoin('users as d', 'd.id', 'a.decided_by')
    .where('a.tenant_id', tenantId)
    .orderByRaw("(a.status = 'pending') desc, a.proposed_at desc")
    .limit(limit)
    .select('a.*', 'p.email as proposer_email', 'd.email as decider_email'));
}

export async function pendingCount(trx: Knex.Transaction, tenantId: string, now: Date): Promise<number> {
  const [row] = await typed<{ n: string | number }[]>(trx('approvals').where({ tenant_id: tenantId, status: 'pending' }).andWhere('expires_at', '>', now).count({ n: '*' }));
  return Number(row?.n ?? 0);
}

/** Pending approvals past their expiry, row-locked, in every tenant the transaction can see. */
export async function lockExpired(trx: Knex.Transaction, tenantId: string, now: Date): Promise<ApprovalRow[]> {
  return typed<ApprovalRow[]>(trx('approvals').where({ tenant_id: tenantId, status: 'pending' }).andWhere('expires_at', '<=', now).forUpdate().skipLocked());
}

export async function activeTenants(db: Knex): Promise<string[]> {
  return typed<string[]>(db('tenants').whereNull('deactivated_at').pluck('id'));
}
