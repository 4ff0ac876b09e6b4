import { randomUUID } from 'node:crypto';
import { fail } from '../http/error-catalogue.js';
import type { Knex } from 'knex';
import { isPending } from '../approvals/four-eyes.js';
import { isPrivilegedTenantRight } from '../approvals/privileged.js';
import { recordAudit } from '../audit/audit-store.js';
import type { RequestContext } from '../auth/context.js';
import type { Clock } from '../clock.js';
import { inTenant } from '../db/tenant-transaction.js';
import { csvDocument } from '../http/csv.js';
import type { Logger } from '../log/logger.js';
import type { Mailer } from '../mail/mailer.js';
import { deactivationNoticeMail, recertificationReminderMail } from '../mail/templates.js';
import type { UsersService } from '../users/users-service.js';
import * as store from './recertification-store.js';

/** Days a reviewer has for a campaign before it is overdue and reminders go out (weekly). */
export const CAMPAIGN_DAYS = 30;
const DAY_MS = 86_400_000;
/** A dormant account is announced this many days before it is deactivated. */
export const NOTICE_DAYS = 7;

export interface CampaignView {
  id: string;
  scope: store.Scope;
  status: 'open' | 'closed';
  overdue: boolean;
  startedBy: string | null;
  startedAt: string;
  dueAt: string;
  closedAt: string | null;
  total: number;
  decided: number;
  revoked: number;
}

function campaignView(c: store.CampaignRow, now: Date): CampaignView {
  return {
    id: c.id, scope: c.scope, status: c.closed_at ? 'closed' : 'open', overdue: !c.closed_at && c.due_at < now, startedBy: c.started_by,
    startedAt: c.started_at.toISOString(), dueAt: c.due_at.toISOString(), closedAt: c.closed_at?.toISOString() ?? null,
    total: c.total, decided: c.decided, revoked: c.revoked,
  };
}

/** A campaign of `scope` over the bank's accounts: admins are the holders of privileged rights. */
async function startCampaign(trx: Knex.Transaction, tenantId: string, scope: store.Scope, startedBy: string | null, now: Date): Promise<string> {
  const everyone = await store.candidates(trx, tenantId);
  const listed = scope === 'all' ? everyone : everyone.filter((u) => u.rights.some(isPrivilegedTenantRight));
  const id = randomUUID();
  await store.insertCampaign(trx, tenantId, { id, scope, startedBy, startedAt: now, dueAt: new Date(now.getTime() + CAMPAIGN_DAYS * DAY_MS) }, listed);
  await recordAudit(trx, { tenantId, actorUserId: startedBy, type: 'recertification.started', subjectType: 'recertification', subjectId: id, details: { scope, users: listed.length } }, now);
  if (listed.length === 0) await closeIfDone(trx, tenantId, id, now);
  return id;
}

async function closeIfDone(trx: Knex.Transaction, tenantId: string, id: string, now: Date): Promise<boolean> {
  const c = await store.findCampaign(trx, tenantId, id);
  if (!c || c.closed_at || c.decided < c.total) return false;
  await store.closeCampaign(trx, tenantId, id, now);
  await recordAudit(trx, { tenantId, actorUserId: null, type: 'recertification.closed', subjectType: 'recertification', subjectId: id, details: { users: c.total, revoked: c.revoked } }, now);
  return true;
}

/**
 * Recertification campaigns (issue 17 item 3; MaRisk AT 4.3.1: admin rights half-yearly, others
 * yearly). Each of the bank's active accounts is listed with its roles; a reviewer confirms or
 * revokes each. Revoking takes every role away through the users service, so four-eyes applies
 * to it as to any other change of a privileged role.
 */
export class RecertificationService {
  constructor(private readonly d: { clock: Clock; users: UsersService }) {}

  async list(ctx: RequestContext): Promise<CampaignView[]> {
    const now = this.d.clock.now();
    return (await store.listCampaigns(ctx.trx, ctx.tenantId)).map((c) => campaignView(c, now));
  }

  async get(ctx: RequestContext, id: string) {
    const c = await store.findCampaign(ctx.trx, ctx.tenantId, id);
    if (!c) throw fail('not_found', { reason: 'recertification' });
    const rows = await store.items(ctx.trx, ctx.tenantId, id);
    return {
      ...campaignView(c, this.d.clock.now()),
      items: rows.map((i) => ({
        userId: i.user_id, email: i.email, roles: i.role_names, decision: i.decision, decidedBy: i.decided_by_email, decidedAt: i.decided_at?.toISOString() ?? null,
        approvalId: i.approval_id, approvalStatus: i.approval_status,
      })),
    };
  }

  async start(ctx: RequestContext, scope: store.Scope) {
    if (await store.openCampaign(ctx.trx, ctx.tenantId, scope)) throw fail('recertification_open');
    const id = await startCampaign(ctx.trx, ctx.tenantId, scope, ctx.userId, this.d.clock.now());
    return this.get(ctx, id);
  }

  async decide(ctx: RequestContext, id: string, input: { userId: string; decision: 'confirm' | 'revoke'; reason?: string | undefined }) {
    const c = await store.findCampaign(ctx.trx, ctx.tenantId, id, true);
    if (!c) throw fail('not_found', { reason: 'recertification' });
    if (c.closed_at) throw fail('recertification_closed');
    if (input.userId === ctx.userId) throw fail('self_change_forbidden', { reason: 'own_recertification' });
    if (!(await store.itemExists(ctx.trx, ctx.tenantId, id, input.userId))) throw fail('not_found', { reason: 'campaign_user' });
    const now = this.d.clock.now();
    if (!(await store.decideItem(ctx.trx, ctx.tenantId, id, input.userId, { decision: input.decision, by: ctx.userId, at: now }))) {
      throw fail('recertification_decided');
    }
    let approvalId: string | null = null;
    if (input.decision === 'revoke') {
      const member = await this.d.users.get(ctx, input.userId).catch(() => undefined);
      if (member && member.status !== 'deleted' && member.roleIds.length) {
        const result = await this.d.users.update(ctx, input.userId, { roleIds: [], reason: input.reason ?? `Recertification ${c.started_at.toISOString().slice(0, 10)}: access revoked` });
        if (isPending(result)) {
          approvalId = result.approvalId;
          await store.setItemApproval(ctx.trx, ctx.tenantId, id, input.userId, approvalId);
        }
      }
    }
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'recertification.decided', subjectType: 'user', subjectId: input.userId,
      details: { campaign: id, decision: input.decision, approval: approvalId }, requestId: ctx.requestId, ip: ctx.ip,
    }, now);
    const closed = await closeIfDone(ctx.trx, ctx.tenantId, id, now);
    return { userId: input.userId, decision: input.decision, approvalId, campaignClosed: closed };
  }

  /** The evidence: every listed account, its roles at the start, who decided what and when. */
  async evidenceCsv(ctx: RequestContext, id: string): Promise<string> {
    const c = await store.findCampaign(ctx.trx, ctx.tenantId, id);
    if (!c) throw fail('not_found', { reason: 'recertification' });
    const rows = await store.items(ctx.trx, ctx.tenantId, id);
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'recertification.exported', subjectType: 'recertification', subjectId: id, details: { rows: rows.length },
      requestId: ctx.requestId, ip: ctx.ip,
    }, this.d.clock.now());
    const header = ['campaign', 'scope', 'started_at', 'due_at', 'closed_at', 'email', 'roles', 'decision', 'decided_by', 'decided_at', 'approval_id', 'approval_status'];
    return csvDocument(header, rows.map((i) => [
      c.id, c.scope, c.started_at.toISOString(), c.due_at.toISOString(), c.closed_at?.toISOString() ?? '', i.email, i.role_names, i.decision ?? '',
      i.decided_by_email ?? '', i.decided_at?.toISOString() ?? '', i.approval_id ?? '', i.approval_status ?? '',
    ]), 'spreadsheet');
  }
}

export interface MaintenanceDeps {
  db: Knex;
  clock: Clock;
  mailer: Mailer;
  logger: Logger;
  /** Limits the run to these banks (tests share one database). */
  tenantIds?: string[];
}

function addMonths(d: Date, months: number): Date {
  const x = new Date(d);
  x.setUTCMonth(x.getUTCMonth() + months);
  return x;
}

/**
 * Periodic (maintenance loop): scheduled campaigns (admins every n months, everyone every m),
 * weekly reminders for overdue ones, and dormant accounts announced a week ahead, then deactivated.
 */
export async function runRecertification(d: MaintenanceDeps, now: Date = d.clock.now()) {
  const outcome = { started: 0, reminded: 0, announced: 0, deactivated: 0 };
  const mails: Parameters<Mailer['send']>[0][] = [];
  for (const tenant of await store.activeTenants(d.db)) {
    if (d.tenantIds && !d.tenantIds.includes(tenant.id)) continue;
    await inTenant(d.db, tenant.id, async (trx) => {
      const s = await store.scheduleSettings(trx, tenant.id);
      // Schedule: an "all" campaign also reviews the admins.
      const lastAll = (await store.lastStarted(trx, tenant.id, ['all'])) ?? tenant.created_at;
      const lastAdmins = (await store.lastStarted(trx, tenant.id, ['admins', 'all'])) ?? tenant.created_at;
      if (addMonths(lastAll, s.recert_all_months) <= now && !(await store.openCampaign(trx, tenant.id, 'all'))) {
        await startCampaign(trx, tenant.id, 'all', null, now);
        outcome.started += 1;
      } else if (addMonths(lastAdmins, s.recert_admin_months) <= now && !(await store.openCampaign(trx, tenant.id, 'admins'))) {
        await startCampaign(trx, tenant.id, 'admins', null, now);
        outcome.started += 1;
      }
      const overdue = await store.overdueCampaigns(trx, tenant.id, now, new Date(now.getTime() - 7 * DAY_MS));
      if (overdue.length) {
        const admins = await store.adminRecipients(trx, tenant.id);
        for (const c of overdue) {
          for (const to of admins) mails.push(recertificationReminderMail(to, c.total - c.decided, c.due_at));
          await store.markReminded(trx, tenant.id, c.id, now);
          await recordAudit(trx, { tenantId: tenant.id, actorUserId: null, type: 'recertification.reminded', subjectType: 'recertification', subjectId: c.id, details: { admins: admins.length, open: c.total - c.decided } }, now);
          outcome.reminded += 1;
        }
      }
      const noticeFrom = new Date(now.getTime() - (s.inactive_days - NOTICE_DAYS) * DAY_MS);
      const cutoff = new Date(now.getTime() - s.inactive_days * DAY_MS);
      for (const u of await store.dormant(trx, tenant.id, noticeFrom)) {
        // A notice counts only if it was sent after the last sign-in and at least a week ago.
        const noticed = u.warned_at && u.warned_at > u.last_active;
        if (!noticed) {
          await store.markWarned(trx, u.id, now);
          mails.push(deactivationNoticeMail({ email: u.email, locale: u.locale }, NOTICE_DAYS));
          await recordAudit(trx, { tenantId: tenant.id, actorUserId: null, type: 'user.deactivation_announced', subjectType: 'user', subjectId: u.id, details: { days: s.inactive_days } }, now);
          outcome.announced += 1;
        } else if (u.last_active < cutoff && u.warned_at! <= new Date(now.getTime() - NOTICE_DAYS * DAY_MS)) {
          await store.deactivate(trx, tenant.id, u.id, now);
          await recordAudit(trx, { tenantId: tenant.id, actorUserId: null, type: 'user.deactivated', subjectType: 'user', subjectId: u.id, details: { days: s.inactive_days } }, now);
          outcome.deactivated += 1;
        }
      }
    });
  }
  // Mail after commit: a failed send never undoes a decision, and it is logged without the address.
  for (const m of mails) {
    await d.mailer.send(m).catch((err: unknown) => d.logger.error({ template: m.template, errName: (err as Error).name }, 'mail failed'));
  }
  if (outcome.started || outcome.reminded || outcome.announced || outcome.deactivated) d.logger.info(outcome, 'recertification run');
  return outcome;
}
