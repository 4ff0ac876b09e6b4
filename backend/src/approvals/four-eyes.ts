import { randomUUID } from 'node:crypto';
import { fail } from '../http/error-catalogue.js';
import { HttpError } from '../http/errors.js';
import type { Knex } from 'knex';
import { recordAudit, recordRequestAudit } from '../audit/audit-store.js';
import { RefusalToKeep, type RequestContext } from '../auth/context.js';
import type { Clock } from '../clock.js';
import { inTenant } from '../db/tenant-transaction.js';
import type { Logger } from '../log/logger.js';
import { effectiveRights, holds, type Access, type Area } from '../tenancy/rights.js';
import * as store from './approvals-store.js';
import { requestDepartmentIds } from '../departments/departments-store.js';

/** How long a proposed change waits for its second admin. */
export const APPROVAL_DAYS = 7;

export interface Pending {
  approvalId: string;
  status: 'pending';
}

export interface Change {
  /** Names the service function that applies it (registered below). */
  kind: string;
  /** The right of the route that proposes it; an approver must hold it too. */
  right: `${Area}:${Access}`;
  /** The intended change as data, given back to the applier unchanged. */
  payload: unknown;
  /** What the approvals list shows: ids, names, emails, field names; never customer data. */
  summary: Record<string, unknown>;
  subjectId?: string | null;
  reason: string | undefined;
}

/** Applies a stored change through the same service code as the direct request. */
export type Applier = (ctx: RequestContext, payload: never) => Promise<unknown>;

export interface ApprovalView {
  id: string;
  kind: string;
  summary: Record<string, unknown>;
  reason: string;
  status: store.ApprovalStatus;
  proposedBy: { id: string; email: string | null };
  proposedAt: string;
  expiresAt: string;
  decidedBy: { id: string; email: string | null } | null;
  decidedAt: string | null;
  failureCode: string | null;
  /** The caller may approve or reject it (pending, not their own, right held). */
  canDecide: boolean;
}

export function isPending(x: unknown): x is Pending {
  return typeof x === 'object' && x !== null && (x as Pending).status === 'pending' && typeof (x as Pending).approvalId === 'string';
}

/**
 * Four-eyes for privileged changes (issue 17 item 2, MaRisk AT 4.3.1 dual control). A service
 * asks `propose` before a privileged change: `null` means apply now (four-eyes off, or nobody else
 * could approve yet), otherwise the change is stored and the request answers 202. A second, different
 * admin of the same bank who holds the same right approves; the change is then applied by the same
 * service function, as its proposer and with their rights as they are at that moment.
 */
export class FourEyes {
  private readonly appliers = new Map<string, Applier>();

  constructor(private readonly d: { clock: Clock; logger: Logger }) {}

  register(kind: string, applier: Applier): void {
    this.appliers.set(kind, applier);
  }

  private audit(ctx: RequestContext, type: string, a: { id: string; kind: string }, details: Record<string, string | number | boolean | null> = {}) {
    return recordRequestAudit(ctx, { type, subjectType: 'approval', subjectId: a.id, details: { kind: a.kind, ...details } }, this.d.clock.now());
  }

  /** Whether a change needing `right` would wait for a second admin in this bank right now. */
  async inEffect(ctx: RequestContext, right: string): Promise<boolean> {
    if (ctx.applyingApproval) return false;
    if (!(await store.fourEyesSetting(ctx.trx, ctx.tenantId))) return false;
    return (await store.otherApprovers(ctx.trx, ctx.tenantId, right, ctx.userId)) > 0;
  }

  async propose(ctx: RequestContext, change: Change): Promise<Pending | null> {
    if (!(await this.inEffect(ctx, change.right))) return null;
    if (!change.reason) throw fail('approval_reason_required', { field: 'reason' });
    const now = this.d.clock.now();
    const id = randomUUID();
    await store.insertApproval(ctx.trx, ctx.tenantId, {
      id, kind: change.kind, requiredRight: change.right, payload: change.payload, summary: change.summary, subjectId: change.subjectId ?? null,
      reason: change.reason, proposedBy: ctx.userId, proposedAt: now, expiresAt: new Date(now.getTime() + APPROVAL_DAYS * 86_400_000),
    });
    await this.audit(ctx, 'approval.proposed', { id, kind: change.kind });
    return { approvalId: id, status: 'pending' };
  }

  private async mayDecide(ctx: RequestContext, a: store.ApprovalRow): Promise<boolean> {
    const [area, access] = a.required_right.split(':') as [Area, Access];
    return a.proposed_by !== ctx.userId && holds(ctx.rights, area, access) && (await store.isHomeUser(ctx.trx, ctx.tenantId, ctx.userId));
  }

  async list(ctx: RequestContext): Promise<ApprovalView[]> {
    const now = this.d.clock.now();
    const rows = await store.listApprovals(ctx.trx, ctx.tenantId, 200);
    const home = await store.isHomeUser(ctx.trx, ctx.tenantId, ctx.userId);
    const visible = rows.filter((r) => {
      const [area, access] = r.required_right.split(':') as [Area, Access];
      return r.proposed_by === ctx.userId || holds(ctx.rights, area, access);
    });
    return visible.map((r) => {
      const [area, access] = r.required_right.split(':') as [Area, Access];
      const status = r.status === 'pending' && r.expires_at <= now ? 'expired' : r.status;
      return {
        id: r.id, kind: r.kind, summary: r.summary, reason: r.reason, status,
        proposedBy: { id: r.proposed_by, email: r.proposer_email }, proposedAt: r.proposed_at.toISOString(), expiresAt: r.expires_at.toISOString(),
        decidedBy: r.decided_by ? { id: r.decided_by, email: r.decider_email } : null, decidedAt: r.decided_at?.toISOString() ?? null,
        failureCode: r.failure_code,
        canDecide: status === 'pending' && home && r.proposed_by !== ctx.userId && holds(ctx.rights, area, access),
      };
    });
  }

  /** The approval, locked, still pending and decidable by this caller; refusals otherwise. */
  private async decidable(ctx: RequestContext, id: string): Promise<store.ApprovalRow> {
    const a = await store.lockApproval(ctx.trx, ctx.tenantId, id);
    if (!a) throw fail('not_found', { reason: 'approval' });
    if (a.proposed_by === ctx.userId) throw fail('approval_own_change');
    if (!(await this.mayDecide(ctx, a))) throw fail('forbidden');
    if (a.status !== 'pending') throw fail('approval_decided');
    if (a.expires_at <= this.d.clock.now()) throw fail('approval_expired');
    if (a.subject_id === ctx.userId) throw fail('self_change_forbidden', { reason: 'own_approval' });
    return a;
  }

  async approve(ctx: RequestContext, id: string): Promise<{ id: string; status: 'approved'; result: unknown }> {
    const a = await this.decidable(ctx, id);
    const applier = this.appliers.get(a.kind);
    if (!applier) throw fail('approval_unknown_kind');
    const now = this.d.clock.now();
    await store.decide(ctx.trx, ctx.tenantId, id, 'approved', ctx.userId, now);
    await this.audit(ctx, 'approval.approved', a);
    // Applied as its proposer, with the rights they hold now: the same checks as the direct change.
    // Its departments are those both share: the approver's transaction sees no more, and the
    // proposer may no longer reach a department they were moved out of.
    const proposerDepartments = await requestDepartmentIds(ctx.trx, ctx.tenantId, a.proposed_by, now);
    const proposerCtx: RequestContext = {
      ...ctx, userId: a.proposed_by, applyingApproval: id,
      rights: effectiveRights(await store.currentRights(ctx.trx, ctx.tenantId, a.proposed_by), ctx.isVendorTenant),
      departmentIds: ctx.departmentIds.filter((d) => proposerDepartments.includes(d)),
    };
    let result: unknown;
    try {
      // The route's own check, again: the proposer must still be active and hold the right.
      const [area, access] = a.required_right.split(':') as [Area, Access];
      if (!holds(proposerCtx.rights, area, access)) throw fail('proposer_lost_right');
      result = await ctx.trx.transaction(async (sp) => applier({ ...proposerCtx, trx: sp }, a.payload as never));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      await store.decide(ctx.trx, ctx.tenantId, id, 'failed', ctx.userId, now, err.code);
      await this.audit(ctx, 'approval.failed', a, { code: err.code });
      throw new RefusalToKeep(fail('approval_failed', { detail: err.message }));
    }
    await this.audit(ctx, 'approval.applied', a);
    this.d.logger.info({ approvalId: id, tenantId: ctx.tenantId }, 'approved change applied');
    return { id, status: 'approved', result };
  }

  /** Another admin rejects, or the proposer withdraws their own proposal. */
  async reject(ctx: RequestContext, id: string): Promise<{ id: string; status: 'rejected' }> {
    const a = await store.lockApproval(ctx.trx, ctx.tenantId, id);
    if (!a) throw fail('not_found', { reason: 'approval' });
    const own = a.proposed_by === ctx.userId;
    if (!own) await this.decidable(ctx, id);
    else if (a.status !== 'pending') throw fail('approval_decided');
    await store.decide(ctx.trx, ctx.tenantId, id, 'rejected', ctx.userId, this.d.clock.now());
    await this.audit(ctx, 'approval.rejected', a, { withdrawn: own });
    return { id, status: 'rejected' };
  }

  async pendingCount(ctx: RequestContext): Promise<number> {
    return (await this.list(ctx)).filter((a) => a.canDecide).length;
  }
}

/**
 * Periodic (maintenance loop): pending changes older than 7 days become `expired`, audited in
 * their bank. Returns how many expired.
 */
export async function expireApprovals(d: { db: Knex; clock: Clock; logger: Logger }, now: Date = d.clock.now()): Promise<number> {
  let expired = 0;
  for (const tenantId of await store.activeTenants(d.db)) {
    expired += await inTenant(d.db, tenantId, async (trx) => {
      const rows = await store.lockExpired(trx, tenantId, now);
      for (const a of rows) {
        await store.decide(trx, tenantId, a.id, 'expired', null, now);
        await recordAudit(trx, { tenantId, actorUserId: null, type: 'approval.expired', subjectType: 'approval', subjectId: a.id, details: { kind: a.kind } }, now);
      }
      return rows.length;
    });
  }
  if (expired) d.logger.info({ expired }, 'pending changes expired');
  return expired;
}
