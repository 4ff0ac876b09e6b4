import type { Knex } from 'knex';
import { auditExportRows, auditHeads, auditSpan, loginExportRows, loginHeads, loginSpan, type ExportRow } from './checkpoint-store.js';
import { auditChainId, loginChainId, type Checkpoint, type CheckpointService } from './checkpoints.js';

/**
 * A bank's download of its audit events and sign-in records (issue 16), JSON lines checked by
 * `tools/verify-audit-export.mjs`: a header with the public key, then per chain its records (each
 * with the exact text its hash covers) and the signed checkpoints that cover them, read from the
 * checkpoint files (never from the database copy alone). For every chain the records run from the
 * first one created in [from, to) to the first checkpoint at or after the last one, so each record
 * reaches a signature; records past the range are marked `context`.
 */

export const EXPORT_FORMAT = 'kontor-audit-export/1';
/** Most records one download may hold; a longer range is refused with 413. */
export const EXPORT_MAX_RECORDS = 200_000;

export class ExportTooLarge extends Error {}

function decode(kind: 'audit' | 'login', arr: unknown[]): Record<string, unknown> {
  if (kind === 'audit') {
    const [, tenantId, chain, , at, actorUserId, type, subjectType, subjectId, details, requestId, ip] = arr;
    return { tenantId, chain, at, actorUserId, type, subjectType, subjectId, details, requestId, ip };
  }
  const [, chain, , at, tenantId, userId, emailHash, outcome, reason, ip] = arr;
  return { chain, at, tenantId, userId, emailHash, outcome, reason, ip };
}

interface ChainSource {
  kind: 'audit' | 'login';
  id: string;
  span(): Promise<{ min: string | null; max: string | null }>;
  rows(fromSeq: number, toSeq: number): Promise<ExportRow[]>;
}

export async function buildExport(trx: Knex.Transaction, d: { tenantId: string; from: Date; to: Date; now: Date; checkpoints: CheckpointService }): Promise<{ text: string; records: number }> {
  const { tenantId, from, to } = d;
  // The newest rows get a signature first, so the whole range is covered.
  await d.checkpoints.checkpoint([tenantId]);
  const file = d.checkpoints.readFile(tenantId);
  const trusted = new Map<string, Checkpoint[]>();
  for (const cp of file.trusted) trusted.set(cp.chain, [...(trusted.get(cp.chain) ?? []), cp]);

  const sources: ChainSource[] = [
    ...(await auditHeads(trx, tenantId)).map((h): ChainSource => ({
      kind: 'audit', id: auditChainId(tenantId, h.chain),
      span: () => auditSpan(trx, tenantId, h.chain, from, to), rows: (a, b) => auditExportRows(trx, tenantId, h.chain, a, b),
    })),
    ...(await loginHeads(trx, tenantId)).map((h): ChainSource => ({
      kind: 'login', id: loginChainId(h.chain),
      span: () => loginSpan(trx, h.chain, from, to), rows: (a, b) => loginExportRows(trx, h.chain, a, b),
    })),
  ];
  const lines: string[] = [JSON.stringify({
    kind: 'export', format: EXPORT_FORMAT, tenantId, from: from.toISOString(), to: to.toISOString(), exportedAt: d.now.toISOString(),
    keyId: d.checkpoints.keyId, publicKey: d.checkpoints.publicKeyPem,
  })];
  let records = 0;
  for (const source of sources) {
    const span = await source.span();
    if (span.min === null || span.max === null) continue;
    const cps = (trusted.get(source.id) ?? []).sort((a, b) => a.seq - b.seq);
    const first = Number(span.min);
    // Rows written after the newest checkpoint (a moment ago) are left for the next download.
    const newest = cps.at(-1);
    const max = newest && newest.seq >= first ? Math.min(Number(span.max), newest.seq) : Number(span.max);
    const cover = cps.find((cp) => cp.seq >= max);
    const last = cover ? cover.seq : max;
    if (records + (last - first + 1) > EXPORT_MAX_RECORDS) throw new ExportTooLarge();
    lines.push(JSON.stringify({ kind: 'chain', chain: source.id, firstSeq: first, lastSeq: last }));
    for (const r of await source.rows(first, last)) {
      const context = r.created_at < from || r.created_at >= to;
      lines.push(JSON.stringify({
        kind: source.kind, chain: source.id, seq: Number(r.seq), id: r.id, prevHash: r.prev_hash, hash: r.hash,
        record: decode(source.kind, JSON.parse(r.canonical) as unknown[]), canonical: r.canonical, ...(context ? { context: true } : {}),
      }));
      records += 1;
    }
    // Without a covering checkpoint every later one is included: the verifier then names the chain's end.
    for (const cp of cps.filter((c) => c.seq >= first - 1 && (!cover || c.seq <= cover.seq))) lines.push(JSON.stringify({ kind: 'checkpoint', ...cp }));
  }
  return { text: `${lines.join('\n')}\n`, records };
}
