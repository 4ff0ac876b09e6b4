import type { Knex } from 'knex';
import { allTenantIds } from '../auth/auth-store.js';
import { inTenant } from '../db/tenant-transaction.js';
import { isReviewRecord } from './audit-store.js';
import {
  auditChainAnchors, auditChainHeads, cutOldEnd, examinedAuditRows, examinedLoginRows, infoEventsBetween, loginChainAnchors, loginChainHeads,
  reviewMonths, type Examined,
} from './chain-store.js';
import { auditChainId, loginChainId, type Checkpoint } from './checkpoints.js';

/**
 * The hash chains of audit events and sign-in records (migration 202611251900): verification and
 * retention. Verification recomputes every row's hash in PostgreSQL (the same function the insert
 * trigger uses) and checks each row links to the one before it, from the chain's anchor (or the
 * start) to its head.
 */

export interface ChainReport {
  /** `info` / `review` / `error` for a tenant's audit events; `<tenant>/success|failure` (or `none/failure`) for sign-ins. */
  chain: string;
  kind: 'audit' | 'login';
  rows: number;
  ok: boolean;
  /** The first row that does not verify, and why; for a checkpoint, which one and up to where the chain still matched. */
  firstBroken: {
    seq: number; id: string;
    reason: 'content' | 'link' | 'gap' | 'missing_tail' | 'checkpoint_mismatch' | 'checkpoint_unreached' | 'checkpoint_fork';
    checkpointSeq?: number; checkpointAt?: string; lastGoodSeq?: number | null;
  } | null;
  /** The newest signed checkpoint the chain reaches, or null when none is known (or checkpoints were not checked). */
  checkpoint?: { seq: number; at: string } | null;
}

/** Trusted (signature-checked) checkpoints by chain id. */
export type TrustedCheckpoints = Map<string, Checkpoint[]>;

export function byChain(checkpoints: Checkpoint[]): TrustedCheckpoints {
  const out: TrustedCheckpoints = new Map();
  for (const cp of checkpoints) out.set(cp.chain, [...(out.get(cp.chain) ?? []), cp]);
  return out;
}

const GENESIS = Buffer.alloc(32);

/** Row by row in seq order, the first that breaks the chain; the SQL did the hashing. */
function firstBreak(rows: Examined[]): ChainReport['firstBroken'] {
  for (const r of rows) {
    if (!r.content_ok) return { seq: Number(r.seq), id: r.id, reason: 'content' };
    if (r.prev_seq === null) {
      const startSeq = r.anchor_seq === null ? 1 : Number(r.anchor_seq);
      const startHash = r.anchor_hash ?? GENESIS;
      if (Number(r.seq) !== startSeq) return { seq: Number(r.seq), id: r.id, reason: 'gap' };
      if (!r.prev_hash.equals(startHash)) return { seq: Number(r.seq), id: r.id, reason: 'link' };
    } else {
      if (Number(r.seq) !== Number(r.prev_seq) + 1) return { seq: Number(r.seq), id: r.id, reason: 'gap' };
      if (!r.prev_hash.equals(r.expected_prev!)) return { seq: Number(r.seq), id: r.id, reason: 'link' };
    }
  }
  return null;
}

/**
 * The chain against its signed checkpoints: each one must be reached by the head (else rewound or
 * truncated) and match the row at its seq (else rewritten or forked); checkpoints of rows that
 * retention cut are checked against the anchor where it sits at their seq, else skipped.
 */
function checkpointBreak(rows: Examined[], headSeq: number, anchor: { first_seq: string; prev_hash: Buffer } | undefined, cps: Checkpoint[]):
  { broken: ChainReport['firstBroken']; reached: Checkpoint | null } {
  const sorted = [...cps].sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.seq === sorted[i - 1]!.seq && sorted[i]!.hash !== sorted[i - 1]!.hash) {
      return { broken: { seq: sorted[i]!.seq, id: '', reason: 'checkpoint_fork', checkpointSeq: sorted[i]!.seq, checkpointAt: sorted[i]!.at }, reached: null };
    }
  }
  const bySeq = new Map(rows.map((r) => [Number(r.seq), r]));
  const anchorPrev = anchor ? Number(anchor.first_seq) - 1 : 0;
  let reached: Checkpoint | null = null;
  for (const cp of sorted) {
    const where = { checkpointSeq: cp.seq, checkpointAt: cp.at, lastGoodSeq: reached?.seq ?? null };
    if (cp.seq < anchorPrev) continue;
    if (cp.seq > headSeq) return { broken: { seq: headSeq + 1, id: '', reason: 'checkpoint_unreached', ...where }, reached };
    if (cp.seq === anchorPrev && anchor) {
      if (anchor.prev_hash.toString('hex') !== cp.hash) return { broken: { seq: cp.seq, id: '', reason: 'checkpoint_mismatch', ...where }, reached };
    } else {
      const row = bySeq.get(cp.seq);
      if (!row) return { broken: { seq: cp.seq, id: '', reason: 'checkpoint_unreached', ...where }, reached };
      if (row.row_hash.toString('hex') !== cp.hash) return { broken: { seq: cp.seq, id: row.id, reason: 'checkpoint_mismatch', ...where }, reached };
    }
    reached = cp;
  }
  return { broken: null, reached };
}

function reports(
  kind: ChainReport['kind'], rows: Examined[], heads: { chain: string; last_seq: string }[],
  anchors: { chain: string; first_seq: string; prev_hash: Buffer }[], checkpointsOf?: (chain: string) => Checkpoint[],
): ChainReport[] {
  const byChainRows = new Map<string, Examined[]>();
  for (const r of rows) byChainRows.set(r.chain, [...(byChainRows.get(r.chain) ?? []), r]);
  return heads.map((h) => {
    const chainRows = byChainRows.get(h.chain) ?? [];
    let broken = firstBreak(chainRows);
    // Rows cut from the new end leave the head ahead of the last row.
    const lastSeq = chainRows.length ? Number(chainRows.at(-1)!.seq) : 0;
    if (!broken && Number(h.last_seq) > lastSeq) broken = { seq: lastSeq + 1, id: '', reason: 'missing_tail' };
    const report: ChainReport = { chain: h.chain, kind, rows: chainRows.length, ok: broken === null, firstBroken: broken };
    if (checkpointsOf) {
      const anchor = anchors.find((a) => a.chain === h.chain);
      const headSeq = chainRows.length ? lastSeq : anchor ? Number(anchor.first_seq) - 1 : 0;
      const checked = checkpointBreak(chainRows, headSeq, anchor, checkpointsOf(h.chain));
      report.checkpoint = checked.reached ? { seq: checked.reached.seq, at: checked.reached.at } : null;
      if (!broken && checked.broken) Object.assign(report, { ok: false, firstBroken: checked.broken });
    }
    return report;
  });
}

/**
 * A tenant's audit chains; call inside the tenant's transaction. With `checkpoints` (trusted ones,
 * read from the checkpoint files) each chain must also reach its signed checkpoints.
 */
export async function verifyAuditChains(trx: Knex.Transaction, tenantId: string, checkpoints?: TrustedCheckpoints): Promise<ChainReport[]> {
  const rows = await examinedAuditRows(trx, tenantId);
  const heads = await auditChainHeads(trx, tenantId);
  const anchors = await auditChainAnchors(trx, tenantId);
  return reports('audit', rows, withAnchors(heads, rows, anchors), anchors,
    checkpoints && ((chain) => checkpoints.get(auditChainId(tenantId, chain)) ?? []));
}

/** Sign-in chains, all of them or those of the given tenants. */
export async function verifyLoginChains(db: Knex | Knex.Transaction, onlyTenant?: string, checkpoints?: TrustedCheckpoints): Promise<ChainReport[]> {
  const chains = onlyTenant ? [`${onlyTenant}/success`, `${onlyTenant}/failure`] : undefined;
  const rows = await examinedLoginRows(db, chains);
  const anchors = await loginChainAnchors(db, chains);
  return reports('login', rows, withAnchors(await loginChainHeads(db, chains), rows, anchors), anchors,
    checkpoints && ((chain) => checkpoints.get(loginChainId(chain)) ?? []));
}

/**
 * A chain whose rows were all removed by retention has an anchor past its last seq: its head is
 * then consistent although no row is left. Heads are reported as if they ended where rows end.
 */
function withAnchors(heads: { chain: string; last_seq: string }[], rows: Examined[], anchors: { chain: string; first_seq: string }[]) {
  return heads.map((h) => {
    const anchor = anchors.find((a) => a.chain === h.chain);
    const hasRows = rows.some((r) => r.chain === h.chain);
    if (!hasRows && anchor && Number(anchor.first_seq) === Number(h.last_seq) + 1) return { chain: h.chain, last_seq: '0' };
    return h;
  });
}

/** Every chain of the installation: each tenant's audit chains and all sign-in chains. */
export async function verifyAll(db: Knex, checkpoints?: TrustedCheckpoints): Promise<(ChainReport & { tenantId: string | null })[]> {
  const out: (ChainReport & { tenantId: string | null })[] = [];
  for (const tenantId of await allTenantIds(db)) {
    for (const r of await inTenant(db, tenantId, (trx) => verifyAuditChains(trx, tenantId, checkpoints))) out.push({ ...r, tenantId });
  }
  for (const r of await verifyLoginChains(db, undefined, checkpoints)) out.push({ ...r, tenantId: null });
  return out;
}

// --- retention: cut a chain's old end and leave an anchor (runs as the retention role) ----------------

export const INFO_KEEP_DAYS = 30;

function monthsBefore(now: Date, months: number): Date {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d;
}

/**
 * Before the review chain existed, review records sat in the info chain: its cut stops at the first
 * of them still inside the review period, so none is lost (the info chain is cut later instead).
 */
async function firstLegacyReviewSeq(trx: Knex.Transaction, tenantId: string, reviewBefore: Date, infoBefore: Date): Promise<number | undefined> {
  const first = (await infoEventsBetween(trx, tenantId, reviewBefore, infoBefore)).find((r) => isReviewRecord(r.type));
  return first ? Number(first.seq) : undefined;
}

/**
 * Info audit events and successful sign-ins older than 30 days; review records (the `review`
 * chain: access to customer data, rights, vendor switches, refusals) older than the bank's review
 * period; errors and failures are kept. `db` must be the retention role: the API role can no
 * longer delete these records.
 */
export async function purgeChainedRecords(db: Knex, now: Date, onlyTenants?: string[]): Promise<{ auditEvents: number; loginEvents: number }> {
  const before = new Date(now.getTime() - INFO_KEEP_DAYS * 86_400_000);
  let auditEvents = 0;
  let loginEvents = 0;
  for (const tenantId of onlyTenants ?? (await allTenantIds(db))) {
    auditEvents += await inTenant(db, tenantId, async (trx) => {
      const reviewBefore = monthsBefore(now, await reviewMonths(trx, tenantId));
      const chain = (name: string, cutBefore: Date, keepFromSeq?: number) => cutOldEnd(trx, {
        table: 'audit_events', anchors: 'audit_chain_anchors', where: { tenant_id: tenantId, chain: name },
        anchorKey: { tenant_id: tenantId, chain: name }, before: cutBefore, now, keepFromSeq,
      });
      const info = await chain('info', before, await firstLegacyReviewSeq(trx, tenantId, reviewBefore, before));
      return info + (await chain('review', reviewBefore));
    });
    const chain = `${tenantId}/success`;
    loginEvents += await db.transaction((trx) => cutOldEnd(trx, {
      table: 'login_events', anchors: 'login_chain_anchors', where: { chain },
      anchorKey: { chain }, before, now,
    }));
  }
  return { auditEvents, loginEvents };
}

const CHECKPOINT_REASONS: Record<string, string> = {
  checkpoint_mismatch: 'differs from the signed checkpoint (rewritten or forked)',
  checkpoint_unreached: 'the chain ends before the signed checkpoint (truncated or rewound)',
  checkpoint_fork: 'two signed checkpoints disagree (forked)',
};

/** One line per chain, for the operator: which chain, how many rows, and the first broken row. */
export function describeVerification(results: (ChainReport & { tenantId: string | null })[]): string[] {
  const broken = results.filter((r) => !r.ok).length;
  const summary = `${results.length} chain(s), ${results.reduce((n, r) => n + r.rows, 0)} row(s): ${broken === 0 ? 'all verified' : `${broken} broken`}`;
  return [...results.map((r) => {
    const where = r.kind === 'audit' ? `audit events of tenant ${r.tenantId} (${r.chain})` : `sign-in records ${r.chain}`;
    const cp = r.checkpoint ? ` up to the checkpoint of ${r.checkpoint.at} (seq ${r.checkpoint.seq})` : r.checkpoint === null ? ', no signed checkpoint yet' : '';
    if (r.ok) return `ok      ${where}: ${r.rows} row(s) verified${cp}`;
    const b = r.firstBroken!;
    const row = b.id ? `row id ${b.id}, seq ${b.seq}` : `seq ${b.seq}`;
    const against = b.checkpointSeq !== undefined
      ? `: ${CHECKPOINT_REASONS[b.reason] ?? b.reason}; the checkpoint of ${b.checkpointAt} signs seq ${b.checkpointSeq}${b.lastGoodSeq ? `; intact up to seq ${b.lastGoodSeq}` : ''}`
      : '';
    return `BROKEN  ${where}: first broken at ${row} (${b.reason})${against}`;
  }), summary];
}
