import type { Clock } from '../clock.js';
import { fail } from '../http/error-catalogue.js';
import type { HttpError } from '../http/errors.js';
import { inTenant } from '../db/tenant-transaction.js';
import type { Request, Response } from 'express';
import { send, type Guard, type Requirement, type Result } from '../http/route-table.js';
import { effectiveRights, holds, isVendorOnly, type Access, type Area, type Module } from '../tenancy/rights.js';
import { mfaRequiredFor, passkeyRequiredFor } from './mfa-policy.js';
import { recordAudit } from '../audit/audit-store.js';
import { visitAllowed } from '../access/access-service.js';
import type { Knex } from 'knex';
import * as store from './auth-store.js';
import { setRequestDepartments } from '../departments/departments-store.js';
import { RefusalToKeep, type RequestContext } from './context.js';
import { clearSessionCookie, readSessionCookie } from './cookies.js';
import { MAX_IDLE_SECONDS, sessionExpired, type SessionEndReason } from './sessions.js';
import type { SessionTokens, TokenClaims } from './session-token.js';

/** Requests marked so (progress polling) do not count as user activity. */
export const BACKGROUND_HEADER = 'x-kontor-background';


/** Who was refused which route for lack of which right: part of "who tried to see what". */
async function recordDenial(
  trx: Knex.Transaction, claims: TokenClaims, route: string, missing: string, requestId: string, ip: string | undefined, at: Date,
): Promise<void> {
  await recordAudit(trx, {
    tenantId: claims.tid, actorUserId: claims.sub, type: 'access.denied', level: 'info',
    details: { route, missing }, requestId, ip,
  }, at);
}

/**
 * Why the session a token names cannot serve a request, or undefined when it can. A session found
 * past a limit, or whose user or bank lost access, is ended here with that reason; one already gone
 * answers with the reason noted when it ended ('unknown' when none was, or it was forgotten).
 */
async function endedBecause(trx: Knex.Transaction, claims: TokenClaims, row: store.RequestSessionRow | undefined, now: Date): Promise<SessionEndReason | 'unknown' | undefined> {
  if (!row || row.user_id !== claims.sub) return (await store.sessionEndReason(trx, claims.tid, claims.sid)) ?? 'unknown';
  let reason: SessionEndReason | undefined;
  if (now.getTime() >= row.absolute_expires_at.getTime()) reason = 'absolute';
  else if (now.getTime() >= row.last_activity_at.getTime() + row.idle_minutes * 60_000) reason = 'idle';
  else if (row.status !== 'active') reason = 'account_disabled';
  else if (!row.tenant_active || !row.member) reason = 'access_ended';
  if (reason) await store.endSessions(trx, claims.tid, { sessionId: claims.sid }, reason, now);
  return reason;
}

/**
 * The check on every guarded request (DESIGN §3, §2): JWT → session row in the token's tenant →
 * idle and absolute limits → user active and member → password change not pending → module
 * licensed → right held. Then the route's work runs in the same tenant transaction, and the
 * response is sent only after it committed. Nothing is cached across requests.
 */
export function createGuard(deps: { db: Knex; tokens: SessionTokens; clock: Clock; vendorPasskeyRequired?: boolean }): Guard {
  /** The full check, then `work` in the same tenant transaction; refusals are thrown after commit. */
  async function checkAndRun(req: Request, res: Response, requirement: Requirement, work: (ctx: RequestContext) => Promise<Result | void>): Promise<Result | void> {
    const token = readSessionCookie(req);
    const claims = token ? deps.tokens.verify(token, requirement.acceptExpiredToken ? MAX_IDLE_SECONDS : 0) : undefined;
    if (!claims) {
      // An expired token of ours: if its session has ended meanwhile, say why; if not, it only needs renewal.
      const stale = token && !requirement.acceptExpiredToken ? deps.tokens.verify(token, MAX_IDLE_SECONDS) : undefined;
      const reason = stale && await inTenant(deps.db, stale.tid, async (trx) => {
        const now = deps.clock.now();
        return endedBecause(trx, stale, await store.loadRequestSession(trx, stale.tid, stale.sid, now, false), now);
      });
      if (!reason) throw fail('unauthenticated');
      clearSessionCookie(req, res);
      throw sessionExpired(reason);
    }

    let refusal: HttpError | undefined;
    const committed: (() => void)[] = [];
    const result = await inTenant(deps.db, claims.tid, async (trx) => {
      const now = deps.clock.now();
      const background = req.get(BACKGROUND_HEADER) === '1';
      const found = await store.loadRequestSession(trx, claims.tid, claims.sid, now, !background);
      const ended = await endedBecause(trx, claims, found, now);
      if (ended || !found) {
        refusal = sessionExpired(ended);
        return undefined;
      }
      const row = found;
      // Vendor staff inside a bank: only within an approved access window, checked on every request.
      if (!row.is_vendor) {
        const visit = await visitAllowed(trx, claims.tid, claims.sub, now);
        if (!visit.allowed) {
          await store.endSessions(trx, claims.tid, { sessionId: claims.sid }, 'access_ended', now);
          await recordAudit(trx, {
            tenantId: claims.tid, actorUserId: claims.sub, type: 'vendor.access_ended', details: { session: 'ended' }, requestId: req.requestId, ip: req.ip,
          }, now);
          refusal = sessionExpired('access_ended');
          return undefined;
        }
      }
      if (row.must_change_password && !requirement.allowPendingPasswordChange) {
        refusal = fail('password_change_required');
        return undefined;
      }
      const modules = new Set(row.modules);
      const rights = effectiveRights(row.rights, row.is_vendor);
      const route = `${req.method} ${req.baseUrl}${String(req.route?.path ?? '')}`;
      // A second factor where the bank requires it, and on every vendor route (their rights reach many banks).
      const vendorRoute = Boolean(requirement.right && isVendorOnly(requirement.right.area));
      if ((vendorRoute || mfaRequiredFor(row.mfa_required, rights, row.is_vendor)) && !requirement.allowPendingMfaEnrolment) {
        if (!row.has_factor) {
          refusal = fail('mfa_enrolment_required');
          return undefined;
        }
        if (!row.mfa_verified) {
          refusal = fail('mfa_required', { reason: 'sign_in' });
          return undefined;
        }
      }
      // A phishing-resistant sign-in (passkey) where the bank or the platform requires it of this
      // person; a session opened otherwise reaches only the enrolment routes (the bootstrap).
      if (passkeyRequiredFor(row.passkey_required, rights, row.is_vendor, deps.vendorPasskeyRequired) && !row.phishing_resistant && !requirement.allowPendingMfaEnrolment) {
        refusal = row.has_passkey ? fail('passkey_required', { reason: 'sign_in' }) : fail('passkey_enrolment_required');
        return undefined;
      }
      /** The refusal for a missing module or right, audited; undefined when both are held. */
      const lacking = async (module: Module | undefined, right: { area: Area; access: Access } | undefined): Promise<HttpError | undefined> => {
        if (module && !modules.has(module)) {
          await recordDenial(trx, claims, route, `module:${module}`, req.requestId, req.ip, now);
          return fail('module_not_licensed');
        }
        if (right && !holds(rights, right.area, right.access)) {
          await recordDenial(trx, claims, route, `${right.area}:${right.access}`, req.requestId, req.ip, now);
          return fail('forbidden');
        }
        return undefined;
      };
      refusal = await lacking(requirement.module, requirement.right);
      if (refusal) return undefined;
      const departmentIds = await setRequestDepartments(trx, claims.tid, claims.sub, now);
      const ctx: RequestContext = {
        requestId: req.requestId,
        sessionId: claims.sid,
        userId: claims.sub,
        tenantId: claims.tid,
        isVendorTenant: row.is_vendor,
        mfaVerified: row.mfa_verified,
        rights,
        modules,
        departmentIds,
        ip: req.ip,
        userAgent: req.get('user-agent')?.slice(0, 200),
        trx,
        afterCommit: (fn) => void committed.push(fn),
      };
      if (requirement.byObject) {
        const more = await requirement.byObject(ctx, req);
        refusal = await lacking(more.module, more);
        if (refusal) return undefined;
      }
      try {
        return await work(ctx);
      } catch (err) {
        if (!(err instanceof RefusalToKeep)) throw err;
        refusal = err.error;
        return undefined;
      }
    });
    if (refusal) {
      if (refusal.status === 401) clearSessionCookie(req, res);
      throw refusal;
    }
    for (const fn of committed) fn();
    return result;
  }

  const guard: Guard = (requirement, handler) => async (req, res) => {
    if (requirement.prepare) {
      // Refuse before a single byte of the body is read, then do the slow part holding no connection,
      // then check again (the session may have ended meanwhile) for the short transactional part.
      const prepare = requirement.prepare;
      await checkAndRun(req, res, requirement, (ctx) => prepare.check(ctx, req));
      const prepared = await prepare.run(req);
      try {
        send(res, await checkAndRun(req, res, requirement, (ctx) => handler(ctx, req, res, prepared.value)));
      } catch (err) {
        prepared.discard();
        throw err;
      }
      return;
    }
    send(res, await checkAndRun(req, res, requirement, (ctx) => handler(ctx, req, res)));
  };
  return guard;
}
