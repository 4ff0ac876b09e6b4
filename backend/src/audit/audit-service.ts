import type { RequestContext } from '../auth/context.js';
import type { Clock } from '../clock.js';
import { fail } from '../http/error-catalogue.js';
import { listAuditEvents, listLoginEvents, recordAudit } from './audit-store.js';
import { byChain, verifyAuditChains, verifyLoginChains } from './chains.js';
import { tenantOfChain, type CheckpointService } from './checkpoints.js';
import { buildExport, EXPORT_MAX_RECORDS, ExportTooLarge } from './export.js';

/** Tenant admins read their own tenant's audit and sign-in records (DESIGN §5), verify and export them. */
export class AuditService {
  /** Without a signing key (an app built for a test) the checkpoint parts answer 503. */
  constructor(private readonly signed?: { checkpoints: CheckpointService; clock: Clock }) {}

  need(): { checkpoints: CheckpointService; clock: Clock } {
    if (!this.signed) throw fail('checkpoints_unavailable');
    return this.signed;
  }

  events(ctx: RequestContext, query: Parameters<typeof listAuditEvents>[2]): ReturnType<typeof listAuditEvents> {
    return listAuditEvents(ctx.trx, ctx.tenantId, query);
  }

  logins(ctx: RequestContext, query: Parameters<typeof listLoginEvents>[2]): ReturnType<typeof listLoginEvents> {
    return listLoginEvents(ctx.trx, ctx.tenantId, query);
  }

  /** The bank's own chains: its audit events and its sign-in records, against the signed checkpoints in the files. */
  async verify(ctx: RequestContext) {
    const file = this.signed?.checkpoints.readFile(ctx.tenantId);
    const trusted = file && byChain(file.trusted.filter((cp) => tenantOfChain(cp.chain) === ctx.tenantId));
    const chains = [...(await verifyAuditChains(ctx.trx, ctx.tenantId, trusted)), ...(await verifyLoginChains(ctx.trx, ctx.tenantId, trusted))];
    // A line of the bank's checkpoint file that does not verify is itself a sign of tampering.
    const refused = file?.refused.length ?? 0;
    return { ok: chains.every((c) => c.ok) && refused === 0, chains, refusedCheckpointLines: refused };
  }

  /** The key the bank's auditor checks downloads with, and the newest checkpoint of each chain. */
  checkpointsInfo(ctx: RequestContext) {
    const { checkpoints } = this.need();
    const newest = new Map<string, { chain: string; seq: number; at: string }>();
    for (const cp of checkpoints.readFile(ctx.tenantId).trusted) {
      if (tenantOfChain(cp.chain) === ctx.tenantId && (newest.get(cp.chain)?.seq ?? -1) <= cp.seq) newest.set(cp.chain, { chain: cp.chain, seq: cp.seq, at: cp.at });
    }
    return { publicKey: checkpoints.publicKeyPem, keyId: checkpoints.keyId, latest: [...newest.values()].sort((a, b) => a.chain.localeCompare(b.chain)) };
  }

  async checkpointNow(ctx: RequestContext): Promise<{ signed: number; refused: unknown }> {
    const { checkpoints } = this.need();
    const done = await checkpoints.checkpoint([ctx.tenantId]);
    return { signed: done.signed.length, refused: done.refused };
  }

  /** The records of [from, to) as JSON lines with their checkpoints; the download itself is audited. */
  async export(ctx: RequestContext, from: Date, to: Date): Promise<{ text: string; filename: string }> {
    const { checkpoints, clock } = this.need();
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
    return { text: built.text, filename: `kontor-audit-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}.jsonl` };
  }
}
