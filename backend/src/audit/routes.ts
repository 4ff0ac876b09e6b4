import { z } from 'zod';
import { fail } from '../http/error-catalogue.js';
import type { Clock } from '../clock.js';
import { requires, type RouteTable } from '../http/route-table.js';
import * as schemas from '../tenancy/schemas.js';
import { listAuditEvents, listLoginEvents, recordAudit } from './audit-store.js';
import { byChain, verifyAuditChains, verifyLoginChains } from './chains.js';
import { tenantOfChain, type CheckpointService } from './checkpoints.js';
import { buildExport, EXPORT_MAX_RECORDS, ExportTooLarge } from './export.js';

export const exportQuery = z.object({
  from: z.string().datetime({ offset: true, message: 'must be an ISO date-time' }),
  to: z.string().datetime({ offset: true, message: 'must be an ISO date-time' }),
}).strict();

/** Tenant admins read their own tenant's audit and sign-in records (DESIGN §5). */
export function auditRoutes(routes: RouteTable, audit?: { checkpoints: CheckpointService; clock: Clock }): void {
  routes.guarded('get', '/audit/events', requires('audit', 'read'), async (ctx, req) => ({
    body: await listAuditEvents(ctx.trx, ctx.tenantId, schemas.auditQuery.parse(req.query)),
  }));
  routes.guarded('get', '/audit/logins', requires('audit', 'read'), async (ctx, req) => ({
    body: await listLoginEvents(ctx.trx, ctx.tenantId, schemas.loginsQuery.parse(req.query)),
  }));
  // The bank's own chains: its audit events and its sign-in records, against the signed checkpoints in the files.
  routes.guarded('get', '/audit/verify', requires('audit', 'read'), async (ctx) => {
    const file = audit?.checkpoints.readFile(ctx.tenantId);
    const trusted = file && byChain(file.trusted.filter((cp) => tenantOfChain(cp.chain) === ctx.tenantId));
    const chains = [...(await verifyAuditChains(ctx.trx, ctx.tenantId, trusted)), ...(await verifyLoginChains(ctx.trx, ctx.tenantId, trusted))];
    // A line of the bank's checkpoint file that does not verify is itself a sign of tampering.
    const refused = file?.refused.length ?? 0;
    return { body: { ok: chains.every((c) => c.ok) && refused === 0, chains, refusedCheckpointLines: refused } };
  });
  // Without a signing key (an app built for a test) these answer 503.
  const need = (): { checkpoints: CheckpointService; clock: Clock } => {
    if (!audit) throw fail('checkpoints_unavailable');
    return audit;
  };
  // The key the bank's auditor checks downloads with, and the newest checkpoint of each chain.
  routes.guarded('get', '/audit/checkpoints', requires('audit', 'read'), async (ctx) => {
    const { checkpoints } = need();
    const newest = new Map<string, { chain: string; seq: number; at: string }>();
    for (const cp of checkpoints.readFile(ctx.tenantId).trusted) {
      if (tenantOfChain(cp.chain) === ctx.tenantId && (newest.get(cp.chain)?.seq ?? -1) <= cp.seq) newest.set(cp.chain, { chain: cp.chain, seq: cp.seq, at: cp.at });
    }
    return { body: { publicKey: checkpoints.publicKeyPem, keyId: checkpoints.keyId, latest: [...newest.values()].sort((a, b) => a.chain.localeCompare(b.chain)) } };
  });
  routes.guarded('post', '/audit/checkpoints', requires('audit', 'read'), async (ctx) => {
    const { checkpoints } = need();
    const done = await checkpoints.checkpoint([ctx.tenantId]);
    return { body: { signed: done.signed.length, refused: done.refused } };
  });
  routes.guarded('get', '/audit/export', requires('audit', 'read'), async (ctx, req, res) => {
    const { checkpoints, clock } = need();
    const q = exportQuery.parse(req.query);
    const from = new Date(q.from);
    const to = new Date(q.to);
    if (to <= from) throw fail('invalid_input', { reason: 'not_after', field: 'to', other: 'from' });
    let built;
    try {
      built = await buildExport(ctx.trx, { tenantId: ctx.tenantId, from, to, now: clock.now(), checkpoints });
    } catch (err) {
      if (err instanceof ExportTooLarge) throw fail('export_too_large', { limit: EXPORT_MAX_RECORDS, field: 'from' });
      throw err;
    }
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'audit.exported', details: { records: built.records, from: from.toISOString(), to: to.toISOString() },
      requestId: ctx.requestId, ip: ctx.ip,
    }, clock.now());
    res.set('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.set('Content-Disposition', `attachment; filename="kontor-audit-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}.jsonl"`);
    return { raw: built.text };
  });
}
