import type { Knex } from 'knex';

/** All SQL of vendor access requests (platform table access_requests) and the bank's access mode. */

export const ACCESS_MODES = ['approval', 'notify', 'open'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];
export type AccessStatus = 'pending' | 'approved' | 'denied' | 'revoked';
/** A bank without a settings row is a new bank: the column default. */
export const DEFAULT_ACCESS_MODE: AccessMode = 'approval';

export interface AccessRequestRow {
  id: string;
  tenant_id: string;
  requester_id: string;
  reason: string;
  ticket: string | null;
  minutes: number;
  emergency: boolean;
  mode: AccessMode;
  status: AccessStatus;
  created_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  starts_at: Date | null;
  ends_at: Date | null;
  revoked_by: string | null;
  revoked_at: Date | null;
}

export interface AccessRequestListRow extends AccessRequestRow {
  tenant_name: string;
  requester_email: string;
  requester_name: string;
  decided_by_email: string | null;
  revoked_by_email: string | null;
}

// ---- the bank's mode (tenant_settings, inside the bank's transaction) -----------------------------

export async function accessMode(trx: Knex.Transaction, tenantId: string): Promise<AccessMode> {
  const row = await trx('tenant_settings').where({ tenant_id: tenantId }).first('access_mode');
  return (row?.access_mode as AccessMode | undefined) ?? DEFAULT_ACCESS_MODE;
}

/** Sets the mode; returns the one before. */
export async function setAccessMode(trx: Knex.Transaction, tenantId: string, mode: AccessMode, at: Date): Promise<AccessMode> {
  await trx('tenant_settings').insert({ tenant_id: tenantId }).onConflict('tenant_id').ignore();
  const before = await trx('tenant_settings').where({ tenant_id: tenantId }).forUpdate().first<{ access_mode: AccessMode }>('access_mode');
  await trx('tenant_settings').where({ tenant_id: tenantId }).update({ access_mode: mode, updated_at: at });
  return before.access_mode;
}

/**
 * What the per-request check needs about a session in a bank, in one round trip: whether the user
 * is a visitor (home tenant elsewhere: vendor staff), the bank's mode, and the end of the latest
 * approved window that is open now. Inside the bank's transaction.
 */
export async function visitState(trx: Knex.Transaction, tenantId: string, userId: string, now: Date):
  Promise<{ visitor: boolean; mode: AccessMode; windowEndsAt: Date | null; requestId: string | null }> {
  const { rows } = await trx.raw(
    `select u.tenant_id <> ? as visitor,
            coalesce((select access_mode from tenant_settings where tenant_id = ?), ?) as mode,
            w.id as request_id, w.ends_at
       from users u
       left join lateral (
         select id, ends_at from access_requests
          where tenant_id = ? and requester_id = u.id and status = 'approved' and starts_at <= ? and ends_at > ?
          order by ends_at desc limit 1
       ) w on true
      where u.id = ?`,
    [tenantId, tenantId, DEFAULT_ACCESS_MODE, tenantId, now, now, userId],
  );
  const row = rows[0] as { visitor: boolean; mode: AccessMode; request_id: string | null; ends_at: Date | null } | undefined;
  return { visitor: row?.visitor ?? false, mode: row?.mode ?? DEFAULT_ACCESS_MODE, windowEndsAt: row?.ends_at ?? null, requestId: row?.request_id ?? null };
}

// ---- requests (platform table) --------------------------------------------------------------------

export async function insertRequest(db: Knex, row: Omit<AccessRequestRow, 'id' | 'decided_by' | 'decided_at' | 'revoked_by' | 'revoked_at'>
  & Partial<Pick<AccessRequestRow, 'decided_by' | 'decided_at'>>): Promise<AccessRequestRow> {
  const [inserted] = await db('access_requests').insert(row).returning('*');
  return inserted as AccessRequestRow;
}

export async function findRequest(db: Knex, id: string, tenantId?: string): Promise<AccessRequestRow | undefined> {
  const q = db('access_requests').where({ id });
  if (tenantId) q.where({ tenant_id: tenantId });
  return q.first();
}

function listQuery(db: Knex): Knex.QueryBuilder {
  return db('access_requests as r')
    .join('tenants as t', 't.id', 'r.tenant_id')
    .join('users as u', 'u.id', 'r.requester_id')
    .leftJoin('users as d', 'd.id', 'r.decided_by')
    .leftJoin('users as v', 'v.id', 'r.revoked_by')
    .select('r.*', 't.name as tenant_name', 'u.email as requester_email', 'u.name as requester_name', 'd.email as decided_by_email', 'v.email as revoked_by_email')
    .orderBy('r.created_at', 'desc')
    .orderBy('r.id');
}

/** A bank's requests, newest first (bounded). */
export async function listForTenant(db: Knex, tenantId: string, limit: number): Promise<AccessRequestListRow[]> {
  return listQuery(db).where('r.tenant_id', tenantId).limit(limit);
}

/** The vendor side: a user's own requests, and (for approvers) every pending emergency request. */
export async function listForVendor(db: Knex, userId: string, includePendingEmergencies: boolean, limit: number): Promise<AccessRequestListRow[]> {
  return listQuery(db)
    .where((q) => {
      q.where('r.requester_id', userId);
      if (includePendingEmergencies) q.orWhere((e) => { e.where({ 'r.emergency': true, 'r.status': 'pending' }); });
    })
    .limit(limit);
}

/** Approves in one statement, only while pending and fresh: of parallel decisions exactly one wins. */
export async function approve(db: Knex, id: string, tenantId: string, by: string, at: Date, pendingSince: Date, emergency: boolean): Promise<AccessRequestRow | undefined> {
  const [row] = await db('access_requests')
    .where({ id, tenant_id: tenantId, status: 'pending', emergency })
    .where('created_at', '>', pendingSince)
    .update({
      status: 'approved', decided_by: by, decided_at: at, starts_at: at,
      ends_at: db.raw("?::timestamptz + make_interval(mins => minutes)", [at]),
    })
    .returning('*');
  return row as AccessRequestRow | undefined;
}

export async function deny(db: Knex, id: string, tenantId: string, by: string, at: Date): Promise<AccessRequestRow | undefined> {
  const [row] = await db('access_requests').where({ id, tenant_id: tenantId, status: 'pending' })
    .update({ status: 'denied', decided_by: by, decided_at: at }).returning('*');
  return row as AccessRequestRow | undefined;
}

/** Ends an approved window that is still open; undefined if it was not (already over, revoked or never approved). */
export async function revoke(db: Knex, id: string, tenantId: string, by: string, at: Date): Promise<AccessRequestRow | undefined> {
  const [row] = await db('access_requests').where({ id, tenant_id: tenantId, status: 'approved' }).where('ends_at', '>', at)
    .update({ status: 'revoked', revoked_by: by, revoked_at: at, ends_at: at }).returning('*');
  return row as AccessRequestRow | undefined;
}

/** Open requests of this user for this bank (pending, or approved and not over): one at a time. */
export async function openRequestOf(db: Knex, tenantId: string, userId: string, at: Date, pendingSince: Date): Promise<AccessRequestRow | undefined> {
  return db('access_requests').where({ tenant_id: tenantId, requester_id: userId })
    .where((q) => {
      q.where((p) => { p.where('status', 'pending').where('created_at', '>', pendingSince); })
        .orWhere((a) => { a.where('status', 'approved').where('ends_at', '>', at); });
    })
    .first();
}

/** Active admins of a bank (holders of users:write), for the mails. */
export async function bankAdminEmails(trx: Knex.Transaction, tenantId: string): Promise<{ email: string; locale: 'de' | 'en' | null }[]> {
  return trx('memberships as m')
    .join('membership_roles as mr', function on() { this.on('mr.tenant_id', 'm.tenant_id').andOn('mr.user_id', 'm.user_id'); })
    .join('role_rights as rr', 'rr.role_id', 'mr.role_id')
    .join('users as u', 'u.id', 'm.user_id')
    .where({ 'm.tenant_id': tenantId, 'rr.area': 'users', 'rr.access': 'write', 'u.status': 'active', 'u.tenant_id': tenantId })
    .distinct('u.email', 'u.locale');
}

/** Whether a vendor user holds a grant for the bank. */
export async function hasGrant(db: Knex, userId: string, tenantId: string): Promise<boolean> {
  return Boolean(await db('vendor_grants').where({ user_id: userId, tenant_id: tenantId }).first('user_id'));
}

export interface VisitEventRow {
  id: string;
  type: string;
  created_at: Date;
  subject_type: string | null;
  subject_id: string | null;
  details: Record<string, unknown>;
}

/** What a visitor did in the bank during a window: the bank's audit events by that user then (bounded). */
export async function eventsInWindow(trx: Knex.Transaction, tenantId: string, userId: string, from: Date, to: Date, limit: number): Promise<VisitEventRow[]> {
  return trx('audit_events').where({ tenant_id: tenantId, actor_user_id: userId })
    .where('created_at', '>=', from).where('created_at', '<=', to)
    .orderBy('created_at').orderBy('id')
    .limit(limit)
    .select('id', 'type', 'created_at', 'subject_type', 'subject_id', 'details');
}

export async function findListRow(db: Knex, id: string): Promise<AccessRequestListRow | undefined> {
  return listQuery(db).where('r.id', id).first();
}

/** The address and chosen language, for mails to the user. */
export async function userRecipient(db: Knex, userId: string): Promise<{ email: string; locale: 'de' | 'en' | null }> {
  return db('users').where({ id: userId }).first('email', 'locale');
}

export async function userEmail(db: Knex, userId: string): Promise<string> {
  return (await db('users').where({ id: userId }).first<{ email: string }>('email')).email;
}

export async function homeTenantOf(db: Knex, userId: string): Promise<string> {
  return (await db('users').where({ id: userId }).first<{ tenant_id: string }>('tenant_id')).tenant_id;
}

export async function tenantName(db: Knex, tenantId: string): Promise<string> {
  return (await db('tenants').where({ id: tenantId }).first<{ name: string }>('name')).name;
}
