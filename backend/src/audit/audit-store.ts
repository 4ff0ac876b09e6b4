import type { Knex } from 'knex';

export interface AuditEvent {
  tenantId: string;
  actorUserId: string | null;
  type: string;
  level?: 'info' | 'error';
  subjectType?: string;
  subjectId?: string;
  /** Ids and counts only: never cell contents, passwords or raw input. */
  details?: Record<string, string | number | boolean | null>;
  requestId?: string;
  ip?: string | undefined;
}

/**
 * What a bank's access review needs (issue 16), kept for the bank's review period instead of 30
 * days: access to customer data, rights and role changes, vendor access and switches, refusals,
 * and what happens to the audit trail itself.
 */
const REVIEW_TYPES = new Set([
  'user.roles_changed', 'user.invited', 'user.deleted', 'user.totp_reset', 'user.unlocked', 'user.sessions_ended', 'user.sessions_ended_by_directory', 'user.reset_sent',
  'user.recertification_export', 'user.deactivated', 'user.deactivation_announced', 'auth.invitation_accepted', 'auth.tenant_switch_in', 'auth.tenant_switch_out', 'settings.changed',
]);
const REVIEW_PATTERN = /(\.rows_viewed|\.exported|\.denied|\.refused)$|^(vendor|role|grant|audit|approval|recertification)\./;

export function isReviewRecord(type: string): boolean {
  return REVIEW_TYPES.has(type) || REVIEW_PATTERN.test(type);
}

/** The hash chain an event joins: errors are kept forever, review records for the review period, other info 30 days. */
export function chainOf(level: 'info' | 'error', type: string): 'error' | 'review' | 'info' {
  if (level === 'error') return 'error';
  return isReviewRecord(type) ? 'review' : 'info';
}

/** Who acts in a request: what every audit record of a request carries (a RequestContext has it). */
export interface AuditActor {
  trx: Knex.Transaction;
  tenantId: string;
  userId: string;
  requestId: string;
  ip: string | undefined;
}

/**
 * The one audit helper of services: the record of `actor`'s request (actor, request id, address),
 * in the request's transaction and tenant unless `into` names another tenant's transaction.
 */
export function recordRequestAudit(
  actor: AuditActor, event: Omit<AuditEvent, 'tenantId' | 'actorUserId' | 'requestId' | 'ip'>, at: Date,
  into: { trx: Knex.Transaction; tenantId: string } = actor,
): Promise<void> {
  return recordAudit(into.trx, { ...event, tenantId: into.tenantId, actorUserId: actor.userId, requestId: actor.requestId, ip: actor.ip }, at);
}

/** Writes inside the caller's transaction, so an action and its audit row commit together. */
export async function recordAudit(trx: Knex.Transaction, event: AuditEvent, at: Date): Promise<void> {
  await trx('audit_events').insert({
    chain: chainOf(event.level ?? 'info', event.type),
    tenant_id: event.tenantId,
    actor_user_id: event.actorUserId,
    type: event.type,
    level: event.level ?? 'info',
    subject_type: event.subjectType ?? null,
    subject_id: event.subjectId ?? null,
    details: JSON.stringify(event.details ?? {}),
    request_id: event.requestId ?? null,
    ip: event.ip ?? null,
    created_at: at,
  });
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface AuditFilter {
  userId?: string | undefined;
  type?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  page: number;
  pageSize: number;
}

/** One page of a filtered event list, newest first, with the total and the named user's email (`u`). */
async function newestFirst(
  base: Knex.QueryBuilder, f: { page: number; pageSize: number }, alias: 'a' | 'l', userColumn: string,
  columns: (string | Knex.Raw)[],
  /** Joins only the page's rows need (names of subjects), kept out of the count. */
  withJoins: (q: Knex.QueryBuilder) => Knex.QueryBuilder = (q) => q,
): Promise<Page<Record<string, unknown>>> {
  const [{ n }] = (await base.clone().count({ n: '*' })) as [{ n: number }];
  const items = await withJoins(base.leftJoin('users as u', 'u.id', userColumn))
    .orderBy(`${alias}.id`, 'desc')
    .limit(f.pageSize)
    .offset((f.page - 1) * f.pageSize)
    .select<Record<string, unknown>[]>(columns);
  return { items, total: Number(n), page: f.page, pageSize: f.pageSize };
}

export async function listAuditEvents(trx: Knex.Transaction, tenantId: string, f: AuditFilter): Promise<Page<Record<string, unknown>>> {
  const base = trx('audit_events as a').where('a.tenant_id', tenantId);
  if (f.userId) base.where('a.actor_user_id', f.userId);
  if (f.type) base.where('a.type', 'like', `${f.type.replace(/[%_\\]/g, '\\$&')}%`);
  if (f.from) base.where('a.created_at', '>=', f.from);
  if (f.to) base.where('a.created_at', '<', f.to);
  return newestFirst(base, f, 'a', 'a.actor_user_id', ['a.id', 'a.created_at as at', 'a.type', 'a.level', 'a.actor_user_id as actorId', 'u.email as actorEmail',
    'a.subject_type as subjectType', 'a.subject_id as subjectId', trx.raw('coalesce(sc.name, su.email) as "subjectName"'),
    'a.details', 'a.ip', 'a.request_id as requestId'], (q) => q
    // A subject's name instead of its id (issue 15), only from this bank: its containers, and users of the bank.
    .leftJoin('containers as sc', function subjectContainer() {
      this.on('sc.tenant_id', 'a.tenant_id').andOn(trx.raw("a.subject_type = 'container'")).andOn(trx.raw('sc.id::text = a.subject_id'));
    })
    .leftJoin('users as su', function subjectUser() {
      this.on(trx.raw("a.subject_type = 'user'")).andOn(trx.raw('su.id::text = a.subject_id'))
        .andOn(trx.raw('(su.tenant_id = a.tenant_id or exists (select 1 from memberships sm where sm.tenant_id = a.tenant_id and sm.user_id = su.id))'));
    }));
}

export async function listLoginEvents(
  trx: Knex.Transaction, tenantId: string, f: Omit<AuditFilter, 'type'> & { outcome?: 'success' | 'failure' | undefined },
): Promise<Page<Record<string, unknown>>> {
  // login_events is a platform table: the tenant filter here is the only one, so it is explicit.
  const base = trx('login_events as l').where('l.tenant_id', tenantId);
  if (f.userId) base.where('l.user_id', f.userId);
  if (f.outcome) base.where('l.outcome', f.outcome);
  if (f.from) base.where('l.created_at', '>=', f.from);
  if (f.to) base.where('l.created_at', '<', f.to);
  return newestFirst(base, f, 'l', 'l.user_id', ['l.id', 'l.created_at as at', 'l.outcome', 'l.reason', 'l.user_id as userId', 'u.email as userEmail', 'l.ip']);
}

