import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-store.js';
import { RefusalToKeep, type RequestContext } from '../auth/context.js';
import type { Clock } from '../clock.js';
import { inTenant } from '../db/tenant-transaction.js';
import { fail } from '../http/error-catalogue.js';
import type { HttpError } from '../http/errors.js';
import type { Logger } from '../log/logger.js';
import { sendInBackground, type Mailer } from '../mail/mailer.js';
import { vendorAccessDecisionMail, vendorAccessMail, type Recipient } from '../mail/templates.js';
import { holds } from '../tenancy/rights.js';
import * as store from './access-store.js';
import { activeDepartmentIds } from '../departments/departments-store.js';
import type { AccessMode, AccessRequestListRow, AccessRequestRow } from './access-store.js';

/** A pending request lapses after a day: an old "yes" must not open a door nobody asked about today. */
export const PENDING_HOURS = 24;
/** Emergency access is short (issue 17). */
export const EMERGENCY_MAX_MINUTES = 60;
const LIST_LIMIT = 100;
const EVENTS_PER_VISIT = 200;

export interface AccessDeps {
  db: Knex;
  clock: Clock;
  mailer: Mailer;
  logger: Logger;
  publicUrl: string;
}

export interface NewAccessRequest {
  tenantId: string;
  reason: string;
  ticket?: string | undefined;
  minutes: number;
  emergency?: boolean | undefined;
}

/** What a request looks like now: its stored status, with the clock applied. */
export type AccessState = 'pending' | 'expired' | 'active' | 'ended' | 'denied' | 'revoked';

export interface AccessRequestView {
  id: string;
  tenant: { id: string; name: string };
  requester: { id: string; email: string; name: string };
  reason: string;
  ticket: string | null;
  minutes: number;
  emergency: boolean;
  mode: AccessMode;
  status: store.AccessStatus;
  state: AccessState;
  createdAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  startsAt: string | null;
  endsAt: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
  /** The departments the window may see (all of the bank's where its mode is `open`). */
  departmentIds: string[];
}

export interface VisitEvent {
  type: string;
  at: string;
  subjectType: string | null;
  subjectId: string | null;
  details: Record<string, unknown>;
}

function stateOf(r: AccessRequestRow, now: Date): AccessState {
  if (r.status === 'pending') return r.created_at.getTime() + PENDING_HOURS * 3_600_000 > now.getTime() ? 'pending' : 'expired';
  if (r.status === 'approved') return r.ends_at!.getTime() > now.getTime() ? 'active' : 'ended';
  return r.status;
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

function view(r: AccessRequestListRow, now: Date): AccessRequestView {
  return {
    id: r.id, tenant: { id: r.tenant_id, name: r.tenant_name }, requester: { id: r.requester_id, email: r.requester_email, name: r.requester_name },
    reason: r.reason, ticket: r.ticket, minutes: r.minutes, emergency: r.emergency, mode: r.mode, status: r.status, state: stateOf(r, now),
    createdAt: r.created_at.toISOString(), decidedBy: r.decided_by_email, decidedAt: iso(r.decided_at), startsAt: iso(r.starts_at), endsAt: iso(r.ends_at),
    revokedBy: r.revoked_by_email, revokedAt: iso(r.revoked_at), departmentIds: r.department_ids,
  };
}

function closed(): HttpError {
  return fail('access_request_closed');
}

/**
 * Vendor access to a bank (issue 17 item 1, "lockbox"): requests, the bank's decisions, the window
 * check the guard runs on every request, and the bank's record of every visit.
 */
export class AccessService {
  constructor(private readonly d: AccessDeps) {}

  private audit(trx: Knex.Transaction, tenantId: string, ctx: RequestContext, type: string, requestId: string, details: Record<string, string | number | boolean | null> = {}) {
    return recordAudit(trx, {
      tenantId, actorUserId: ctx.userId, type, subjectType: 'access_request', subjectId: requestId, details, requestId: ctx.requestId, ip: ctx.ip,
    }, this.d.clock.now());
  }

  private link(): string {
    return `${this.d.publicUrl}/admin/vendor-access`;
  }

  private mailAdmins(ctx: RequestContext, emails: Recipient[], kind: Parameters<typeof vendorAccessMail>[1], r: AccessRequestRow, requester: string): void {
    ctx.afterCommit(() => {
      for (const to of emails) {
        sendInBackground(this.d.mailer, vendorAccessMail(to, kind, { requester, minutes: r.minutes, reason: r.reason, ticket: r.ticket, link: this.link() }), this.d.logger);
      }
      this.d.logger.info({ accessRequestId: r.id, admins: emails.length }, 'vendor access mail queued');
    });
  }

  private pendingSince(now: Date): Date {
    return new Date(now.getTime() - PENDING_HOURS * 3_600_000);
  }

  // ---- the vendor's side -----------------------------------------------------------------------

  /** A vendor user files a request for a granted bank; the bank's mode decides what follows. */
  async file(ctx: RequestContext, input: NewAccessRequest): Promise<{ id: string; status: store.AccessStatus }> {
    const now = this.d.clock.now();
    const emergency = input.emergency ?? false;
    if (!ctx.isVendorTenant) throw fail('forbidden');
    if (emergency && input.minutes > EMERGENCY_MAX_MINUTES) {
      throw fail('invalid_input', { reason: 'emergency_max', field: 'minutes', limit: EMERGENCY_MAX_MINUTES });
    }
    if (!(await store.hasGrant(ctx.trx, ctx.userId, input.tenantId))) throw fail('no_grant');
    const requester = await store.userEmail(ctx.trx, ctx.userId);
    const filed = await inTenant(this.d.db, input.tenantId, async (trx) => {
      if (await store.openRequestOf(trx, input.tenantId, ctx.userId, now, this.pendingSince(now))) {
        throw fail('access_request_open');
      }
      const mode = await store.accessMode(trx, input.tenantId);
      const startsNow = mode !== 'approval';
      const row = await store.insertRequest(trx, {
        tenant_id: input.tenantId, requester_id: ctx.userId, reason: input.reason, ticket: input.ticket ?? null, minutes: input.minutes, emergency, mode,
        status: startsNow ? 'approved' : 'pending', created_at: now,
        starts_at: startsNow ? now : null, ends_at: startsNow ? new Date(now.getTime() + input.minutes * 60_000) : null,
        department_ids: startsNow ? await unnamedWindowDepartments(trx, input.tenantId) : [],
      });
      await this.audit(trx, input.tenantId, ctx, 'vendor.access_requested', row.id, { minutes: row.minutes, emergency, mode, ticket: row.ticket !== null });
      if (startsNow) await this.audit(trx, input.tenantId, ctx, 'vendor.access_started', row.id, { minutes: row.minutes, endsAt: row.ends_at!.toISOString() });
      const admins = mode === 'open' ? [] : await store.bankAdminEmails(trx, input.tenantId);
      return { row, admins };
    });
    await this.audit(ctx.trx, ctx.tenantId, ctx, 'vendor.access_requested', filed.row.id, { tenantId: input.tenantId, emergency, mode: filed.row.mode });
    if (filed.row.mode === 'approval') this.mailAdmins(ctx, filed.admins, emergency ? 'emergency_pending' : 'pending', filed.row, requester);
    if (filed.row.mode === 'notify') this.mailAdmins(ctx, filed.admins, 'started', filed.row, requester);
    return { id: filed.row.id, status: filed.row.status };
  }

  private mayApproveEmergencies(ctx: RequestContext): boolean {
    return ctx.isVendorTenant && holds(ctx.rights, 'platform.users', 'write');
  }

  async listForVendor(ctx: RequestContext): Promise<AccessRequestView[]> {
    const now = this.d.clock.now();
    const rows = await store.listForVendor(ctx.trx, ctx.userId, this.mayApproveEmergencies(ctx), LIST_LIMIT);
    return rows.map((r) => view(r, now));
  }

  /** Emergency access: a second vendor user with platform.users:write approves; never the requester. */
  async approveEmergency(ctx: RequestContext, id: string): Promise<AccessRequestView> {
    const now = this.d.clock.now();
    const found = await store.findRequest(ctx.trx, id);
    if (!found || !found.emergency) throw fail('not_found', { reason: 'emergency_request' });
    if (found.requester_id === ctx.userId) {
      await this.audit(ctx.trx, ctx.tenantId, ctx, 'vendor.access_approval_refused', id, { reason: 'own_request' });
      throw new RefusalToKeep(fail('own_request'));
    }
    const approver = await store.userEmail(ctx.trx, ctx.userId);
    const requester = await store.userEmail(ctx.trx, found.requester_id);
    return inTenant(this.d.db, found.tenant_id, async (trx) => {
      const row = await store.approve(trx, id, found.tenant_id, ctx.userId, now, this.pendingSince(now), true, await unnamedWindowDepartments(trx, found.tenant_id));
      if (!row) throw closed();
      await this.audit(trx, found.tenant_id, ctx, 'vendor.access_approved', id, { emergency: true, by: 'vendor', endsAt: row.ends_at!.toISOString() });
      this.mailAdmins(ctx, await store.bankAdminEmails(trx, found.tenant_id), 'emergency_approved', row, `${requester} (approved by ${approver})`);
      return this.viewOne(trx, id, now);
    });
  }

  // ---- the bank's side -------------------------------------------------------------------------

  /** Decisions are the bank's own staff's: a visitor (vendor staff inside the bank) never decides. */
  private async assertBankStaff(ctx: RequestContext, id: string): Promise<void> {
    if (ctx.isVendorTenant || (await store.homeTenantOf(ctx.trx, ctx.userId)) !== ctx.tenantId) {
      await this.audit(ctx.trx, ctx.tenantId, ctx, 'vendor.access_decision_refused', id, { reason: 'visitor' });
      throw new RefusalToKeep(fail('visitor_cannot_decide'));
    }
  }

  private async viewOne(trx: Knex.Transaction, id: string, now: Date): Promise<AccessRequestView> {
    return view((await store.findListRow(trx, id))!, now);
  }

  /** Why a decision did not apply: another bank's or unknown id → 404, else it is closed → 409. */
  private async refusal(ctx: RequestContext, id: string): Promise<HttpError> {
    return (await store.findRequest(ctx.trx, id, ctx.tenantId)) ? closed() : fail('not_found', { reason: 'access_request' });
  }

  /**
   * One bank decision on a request of this bank, by its own staff (a visitor is refused and that is
   * audited); `apply` changes the row only from the state it expects, else the request is closed.
   */
  private async decide(ctx: RequestContext, id: string, d: {
    apply: (now: Date, found: AccessRequestRow) => Promise<AccessRequestRow | undefined>;
    event: string;
    details: (row: AccessRequestRow) => Record<string, string | number | boolean | null>;
    mail?: 'approved' | 'denied';
  }): Promise<AccessRequestView> {
    const now = this.d.clock.now();
    const found = await store.findRequest(ctx.trx, id, ctx.tenantId);
    if (!found) throw fail('not_found', { reason: 'access_request' });
    await this.assertBankStaff(ctx, id);
    const row = await d.apply(now, found);
    if (!row) throw await this.refusal(ctx, id);
    await this.audit(ctx.trx, ctx.tenantId, ctx, d.event, id, d.details(row));
    if (d.mail) await this.mailRequester(ctx, row, d.mail);
    return this.viewOne(ctx.trx, id, now);
  }

  /**
   * The bank approves, naming the departments the visit may see (issue 18): required where the
   * bank has more than one; with one, it is that one.
   */
  async approve(ctx: RequestContext, id: string, requested?: readonly string[]): Promise<AccessRequestView> {
    let departments = 0;
    return this.decide(ctx, id, {
      apply: async (now, found) => {
        if (found.emergency) throw fail('emergency_needs_vendor');
        const departmentIds = await this.namedDepartments(ctx, requested);
        departments = departmentIds.length;
        return store.approve(ctx.trx, id, ctx.tenantId, ctx.userId, now, this.pendingSince(now), false, departmentIds);
      },
      event: 'vendor.access_approved',
      details: (row) => ({ emergency: false, by: 'bank', endsAt: row.ends_at!.toISOString(), departments }),
      mail: 'approved',
    });
  }

  private async namedDepartments(ctx: RequestContext, requested: readonly string[] | undefined): Promise<string[]> {
    const active = await activeDepartmentIds(ctx.trx, ctx.tenantId);
    if (requested === undefined) {
      if (active.length === 1) return active;
      throw fail('invalid_input', { reason: 'department_required', field: 'departmentIds' });
    }
    const named = [...new Set(requested)];
    if (named.some((d) => !active.includes(d))) throw fail('invalid_input', { reason: 'unknown_department', field: 'departmentIds' });
    return named.sort();
  }

  async deny(ctx: RequestContext, id: string): Promise<AccessRequestView> {
    return this.decide(ctx, id, {
      apply: (now) => store.deny(ctx.trx, id, ctx.tenantId, ctx.userId, now),
      event: 'vendor.access_denied', details: (row) => ({ emergency: row.emergency }), mail: 'denied',
    });
  }

  /** Ends an open window now; the visitor's session ends on its next request (guard). */
  async revoke(ctx: RequestContext, id: string): Promise<AccessRequestView> {
    return this.decide(ctx, id, {
      apply: (now) => store.revoke(ctx.trx, id, ctx.tenantId, ctx.userId, now),
      event: 'vendor.access_revoked', details: (row) => ({ emergency: row.emergency }),
    });
  }

  private async mailRequester(ctx: RequestContext, row: AccessRequestRow, decision: 'approved' | 'denied'): Promise<void> {
    const requester = await store.userRecipient(ctx.trx, row.requester_id);
    const bank = await store.tenantName(ctx.trx, row.tenant_id);
    ctx.afterCommit(() => sendInBackground(this.d.mailer, vendorAccessDecisionMail(requester, decision, bank, row.minutes), this.d.logger));
  }

  /** The bank's page: every request, and for each visit what was done in it (the bank's audit events of that user then). */
  async listForBank(ctx: RequestContext): Promise<{ mode: AccessMode; pending: number; items: (AccessRequestView & { events: VisitEvent[] })[] }> {
    const now = this.d.clock.now();
    const rows = await store.listForTenant(ctx.trx, ctx.tenantId, LIST_LIMIT);
    const items = [];
    for (const r of rows) {
      const v = view(r, now);
      const events = r.starts_at && r.ends_at
        ? (await store.eventsInWindow(ctx.trx, ctx.tenantId, r.requester_id, r.starts_at, r.ends_at < now ? r.ends_at : now, EVENTS_PER_VISIT)).map((e) => ({
          type: e.type, at: e.created_at.toISOString(), subjectType: e.subject_type, subjectId: e.subject_id, details: e.details,
        }))
        : [];
      items.push({ ...v, events });
    }
    return { mode: await store.accessMode(ctx.trx, ctx.tenantId), pending: items.filter((i) => i.state === 'pending').length, items };
  }

  /** Vendor staff inside the bank (with a settings right from their grant) must not open the door for themselves. */
  async assertMayChangeMode(ctx: RequestContext): Promise<void> {
    if (ctx.isVendorTenant || (await store.homeTenantOf(ctx.trx, ctx.userId)) !== ctx.tenantId) {
      throw fail('visitor_cannot_decide');
    }
  }

  /**
   * The bank changes its access mode: one function, so four-eyes (issue 17 item 2) can wrap it.
   * Audited with the mode before and after.
   */
  async changeAccessMode(ctx: RequestContext, mode: AccessMode): Promise<void> {
    // Saving the settings form unchanged is no change (and no decision).
    if ((await store.accessMode(ctx.trx, ctx.tenantId)) === mode) return;
    await this.assertMayChangeMode(ctx);
    const before = await store.setAccessMode(ctx.trx, ctx.tenantId, mode, this.d.clock.now());
    if (before !== mode) {
      await recordAudit(ctx.trx, {
        tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'vendor.access_mode_changed', details: { from: before, to: mode }, requestId: ctx.requestId, ip: ctx.ip,
      }, this.d.clock.now());
    }
  }
}

/**
 * The departments of a window nobody at the bank approved (mode `notify`, or an emergency the
 * vendor approved): the bank's department where it has just one, else none — deny by default;
 * such a visit sees no container of a bank with several departments.
 */
async function unnamedWindowDepartments(trx: Knex.Transaction, tenantId: string): Promise<string[]> {
  const active = await activeDepartmentIds(trx, tenantId);
  return active.length === 1 ? active : [];
}

/**
 * The window check on every request in a bank (guard) and at the switch: a visitor (vendor staff)
 * needs an open approved window unless the bank is `open`. Returns the request id of the window,
 * null when none is needed, or 'refused'.
 */
export async function visitAllowed(trx: Knex.Transaction, tenantId: string, userId: string, now: Date): Promise<{ allowed: boolean; requestId: string | null }> {
  const state = await store.visitState(trx, tenantId, userId, now);
  if (!state.visitor || state.mode === 'open') return { allowed: true, requestId: state.requestId };
  return { allowed: state.windowEndsAt !== null, requestId: state.requestId };
}
