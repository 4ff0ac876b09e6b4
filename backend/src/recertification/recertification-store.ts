import type { Knex } from 'knex';

/** The awaited rows as the shape the query selects (knex cannot infer it through joins). */
async function typed<T>(query: PromiseLike<unknown>): Promise<T> {
  return (await query) as T;
}

/** SQL for recertification campaigns, their items, and dormant accounts (issue 17 item 3). */

export type Scope = 'admins' | 'all';

export interface CampaignRow {
  id: string;
  scope: Scope;
  started_by: string | null;
  started_at: Date;
  due_at: Date;
  closed_at: Date | null;
  reminded_at: Date | null;
  total: number;
  decided: number;
  revoked: number;
}

export interface ItemRow {
  user_id: string;
  email: string;
  role_names: string;
  decision: 'confirm' | 'revoke' | null;
  decided_by: string | null;
  decided_by_email: string | null;
  decided_at: Date | null;
  approval_id: string | null;
  approval_status: string | null;
}

export interface CandidateRow {
  id: string;
  email: string;
  roleNames: string[];
  rights: string[];
}

/** Everyone a campaign reviews: the bank's own active accounts (vendor staff are the lockbox's), with roles and rights. */
export async function candidates(trx: Knex.Transaction, tenantId: string): Promise<CandidateRow[]> {
  const rows = await typed<{ id: string; email: string; role_names: string[]; rights: string[] }[]>(trx('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .leftJoin('membership_roles as mr', (j) => j.on('mr.tenant_id', 'm.tenant_id').andOn('mr.user_id', 'm.user_id'))
    .leftJoin('roles as r', 'r.id', 'mr.role_id')
    .leftJoin('role_rights as rr', 'rr.role_id', 'r.id')
    .where('m.tenant_id', tenantId)
    .andWhere('u.tenant_id', tenantId)
    .whereNot('u.status', 'deleted')
    .whereNull('u.deactivated_at')
    .groupBy('u.id')
    .orderBy('u.email')
    .select('u.id', 'u.email',
      trx.raw("coalesce(array_agg(distinct r.name) filter (where r.id is not null), '{}') as role_names"),
      trx.raw("coalesce(array_agg(distinct rr.area || ':' || rr.access) filter (where rr.area is not null), '{}') as rights")));
  return rows.map((r) => ({ id: r.id, email: r.email, roleNames: r.role_names, rights: r.rights }));
}

export async function insertCampaign(trx: Knex.Transaction, tenantId: string, c: { id: string; scope: Scope; startedBy: string | null; startedAt: Date; dueAt: Date }, items: CandidateRow[]): Promise<void> {
  await trx('recertifications').insert({ tenant_id: tenantId, id: c.id, scope: c.scope, started_by: c.startedBy, started_at: c.startedAt, due_at: c.dueAt });
  if (items.length) {
    await trx('recertification_items').insert(items.map((u) => ({
      tenant_id: tenantId, recertification_id: c.id, user_id: u.id, email: u.email, role_names: u.roleNames.join(', '),
    })));
  }
}

const COUNTS = [
  "(select count(*) from recertification_items i where i.tenant_id = c.tenant_id and i.recertification_id = c.id)::int as total",
  "(select count(*) from recertification_items i where i.tenant_id = c.tenant_id and i.recertification_id = c.id and i.decision is not null)::int as decided",
  "(select count(*) from recertification_items i where i.tenant_id = c.tenant_id and i.recertification_id = c.id and i.decision = 'revoke')::int as revoked",
];

export async function listCampaigns(trx: Knex.Transaction, tenantId: string, limit = 100): Promise<CampaignRow[]> {
  return typed<CampaignRow[]>(trx('recertifications as c').where('c.tenant_id', tenantId).orderBy('c.started_at', 'desc').limit(limit)
    .select('c.id', 'c.scope', 'c.started_by', 'c.started_at', 'c.due_at', 'c.closed_at', 'c.reminded_at', ...COUNTS.map((x) => trx.raw(x))));
}

export async function findCampaign(trx: Knex.Transaction, tenantId: string, id: string, lock = false): Promise<CampaignRow | undefined> {
  if (lock) await trx('recertifications').where({ tenant_id: tenantId, id }).forUpdate().first('id');
  return typed<CampaignRow | undefined>(trx('recertifications as c').where({ 'c.tenant_id': tenantId, 'c.id': id })
    .first('c.id', 'c.scope', 'c.started_by', 'c.started_at', 'c.due_at', 'c.closed_at', 'c.reminded_at', ...COUNTS.map((x) => trx.raw(x))));
}

export async function openCampaign(trx: Knex.Transaction, tenantId: string, scope: Scope): Promise<string | undefined> {
  const row = await typed<{ id: string } | undefined>(trx('recertifications').where({ tenant_id: tenantId, scope }).whereNull('closed_at').first('id'));
  return row?.id;
}

export async function lastStarted(trx: Knex.Transaction, tenantId: string, scopes: Scope[]): Promise<Date | null> {
  const row = await typed<{ at: Date | null } | undefined>(trx('recertifications').where({ tenant_id: tenantId }).whereIn('scope', scopes).max({ at: 'started_at' }).first());
  return row?.at ?? null;
}

export async function items(trx: Knex.Transaction, tenantId: string, campaignId: string): Promise<ItemRow[]> {
  return typed<ItemRow[]>(trx('recertification_items as i')
    .leftJoin('users as d', 'd.id', 'i.decided_by')
    .leftJoin('approvals as a', (j) => j.on('a.tenant_id', 'i.tenant_id').andOn('a.id', 'i.approval_id'))
    .where({ 'i.tenant_id': tenantId, 'i.recertification_id': campaignId })
    .orderBy('i.email')
    .select('i.user_id', 'i.email', 'i.role_names', 'i.decision', 'i.decided_by', 'd.email as decided_by_email', 'i.decided_at', 'i.approval_id', 'a.status as approval_status'));
}

/** Records a decision on an undecided item; false if there is none (unknown user or decided already). */
export async function decideItem(trx: Knex.Transaction, tenantId: string, campaignId: string, userId: string, d: { decision: 'confirm' | 'revoke'; by: string; at: Date }): Promise<boolean> {
  const n = await trx('recertification_items').where({ tenant_id: tenantId, recertification_id: campaignId, user_id: userId }).whereNull('decision')
    .update({ decision: d.decision, decided_by: d.by, decided_at: d.at });
  return n === 1;
}

export async function itemExists(trx: Knex.Transaction, tenantId: string, campaignId: string, userId: string): Promise<boolean> {
  return Boolean(await trx('recertification_items').where({ tenant_id: tenantId, recertification_id: campaignId, user_id: userId }).first('user_id'));
}

export async function setItemApproval(trx: Knex.Transaction, tenantId: string, campaignId: string, userId: string, approvalId: string): Promise<void> {
  await trx('recertification_items').where({ tenant_id: tenantId, recertification_id: campaignId, user_id: userId }).update({ approval_id: approvalId });
}

export async function closeCampaign(trx: Knex.Transaction, tenantId: string, id: string, at: Date): Promise<void> {
  await trx('recertifications').where({ tenant_id: tenantId, id }).whereNull('closed_at').update({ closed_at: at });
}

export async function overdueCampaigns(trx: Knex.Transaction, tenantId: string, now: Date, remindEvery: Date): Promise<CampaignRow[]> {
  return typed<CampaignRow[]>(trx('recertifications as c').where('c.tenant_id', tenantId).whereNull('c.closed_at').andWhere('c.due_at', '<', now)
    .andWhere((q) => void q.whereNull('c.reminded_at').orWhere('c.reminded_at', '<', remindEvery))
    .select('c.id', 'c.scope', 'c.started_by', 'c.started_at', 'c.due_at', 'c.closed_at', 'c.reminded_at', ...COUNTS.map((x) => trx.raw(x))));
}

export async function markReminded(trx: Knex.Transaction, tenantId: string, id: string, at: Date): Promise<void> {
  await trx('recertifications').where({ tenant_id: tenantId, id }).update({ reminded_at: at });
}

export interface ScheduleSettings {
  inactive_days: number;
  recert_admin_months: number;
  recert_all_months: number;
}

export async function scheduleSettings(trx: Knex.Transaction, tenantId: string): Promise<ScheduleSettings> {
  await trx('tenant_settings').insert({ tenant_id: tenantId }).onConflict('tenant_id').ignore();
  return typed<ScheduleSettings>(trx('tenant_settings').where({ tenant_id: tenantId }).first('inactive_days', 'recert_admin_months', 'recert_all_months'));
}

export async function activeTenants(db: Knex): Promise<{ id: string; created_at: Date }[]> {
  return typed<{ id: string; created_at: Date }[]>(db('tenants').whereNull('deactivated_at').select('id', 'created_at'));
}

/** Emails of the bank's own admins (users:write), who get the reminders. */
export async function adminRecipients(trx: Knex.Transaction, tenantId: string): Promise<{ email: string; locale: 'de' | 'en' | null }[]> {
  return typed<{ email: string; locale: 'de' | 'en' | null }[]>(trx('memberships as m').join('users as u', 'u.id', 'm.user_id')
    .where({ 'm.tenant_id': tenantId, 'u.tenant_id': tenantId, 'u.status': 'active' })
    .whereExists((q) => void q.select(trx.raw('1')).from('membership_roles as mr').join('role_rights as rr', 'rr.role_id', 'mr.role_id')
      .whereRaw('mr.tenant_id = m.tenant_id and mr.user_id = m.user_id').andWhere({ 'rr.area': 'users', 'rr.access': 'write' }))
    .distinct('u.email', 'u.locale'));
}

const LAST_ACTIVE = 'greatest(u.created_at, coalesce(u.last_login_at, u.created_at), coalesce(u.reactivated_at, u.created_at))';

interface DormantRow { id: string; email: string; locale: 'de' | 'en' | null; warned_at: Date | null; last_active: Date }

/** The bank's own active accounts whose last sign-in (or creation, or reactivation) is before `before`. */
export async function dormant(trx: Knex.Transaction, tenantId: string, before: Date): Promise<DormantRow[]> {
  return typed<DormantRow[]>(trx('users as u')
    .where({ 'u.tenant_id': tenantId, 'u.status': 'active' })
    .whereNull('u.deactivated_at')
    .whereRaw(`${LAST_ACTIVE} < ?`, [before])
    .select('u.id', 'u.email', 'u.locale', 'u.deactivation_warned_at as warned_at', trx.raw(`${LAST_ACTIVE} as last_active`)));
}

export async function markWarned(trx: Knex.Transaction, userId: string, at: Date): Promise<void> {
  await trx('users').where({ id: userId }).update({ deactivation_warned_at: at });
}

/** Deactivated: locked (sessions and sign-in refuse it at once) and marked, so recovery does not reopen it. */
export async function deactivate(trx: Knex.Transaction, tenantId: string, userId: string, at: Date): Promise<void> {
  await trx('users').where({ id: userId, status: 'active' }).update({ status: 'locked', locked_at: at, deactivated_at: at });
  await trx('sessions').where({ tenant_id: tenantId, user_id: userId }).delete();
}
