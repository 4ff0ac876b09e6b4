import type { Knex } from 'knex';
import { allTenantIds } from '../auth/auth-store.js';
import { inTenant } from '../db/tenant-transaction.js';

/**
 * The hash chains of audit events and sign-in records (migration 202611251900): verification and
 * retention. Verification recomputes every row's hash in PostgreSQL (the same function the insert
 * trigger uses) and checks each row links to the one before it, from the chain's anchor (or the
 * start) to its head.
 */

export interface ChainReport {
  /** `info` / `error` for a tenant's audit events; `<tenant>/success|failure` (or `none/failure`) for sign-ins. */
  chain: string;
  kind: 'audit' | 'login';
  rows: number;
  ok: boolean;
  /** The first row that does not verify, and why. */
  firstBroken: { seq: number; id: string; reason: 'content' | 'link' | 'gap' | 'missing_tail' } | null;
}

const GENESIS = Buffer.alloc(32);

interface Examined {
  chain: string;
  id: string;
  seq: string;
  content_ok: boolean;
  prev_hash: Buffer;
  prev_seq: string | null;
  expected_prev: Buffer | null;
  anchor_seq: string | null;
  anchor_hash: Buffer | null;
}

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

function reports(kind: ChainReport['kind'], rows: Examined[], heads: { chain: string; last_seq: string }[]): ChainReport[] {
  const byChain = new Map<string, Examined[]>();
  for (const r of rows) byChain.set(r.chain, [...(byChain.get(r.chain) ?? []), r]);
  return heads.map((h) => {
    const chainRows = byChain.get(h.chain) ?? [];
    let broken = firstBreak(chainRows);
    // Rows cut from the new end leave the head ahead of the last row.
    const lastSeq = chainRows.length ? Number(chainRows.at(-1)!.seq) : 0;
    if (!broken && Number(h.last_seq) > lastSeq) broken = { seq: lastSeq + 1, id: '', reason: 'missing_tail' };
    return { chain: h.chain, kind, rows: chainRows.length, ok: broken === null, firstBroken: broken };
  });
}

/** A tenant's audit chains; call inside the tenant's transaction. */
export async function verifyAuditChains(trx: Knex.Transaction, tenantId: string): Promise<ChainReport[]> {
  const { rows } = await trx.raw(
    `select e.level as chain, e.id::text as id, e.seq, e.prev_hash,
        e.row_hash = audit_event_hash(e.prev_hash, e.tenant_id, e.level, e.seq, e.created_at, e.actor_user_id, e.type,
                                      e.subject_type, e.subject_id, e.details, e.request_id, e.ip) as content_ok,
        lag(e.seq) over w as prev_seq, lag(e.row_hash) over w as expected_prev, a.first_seq as anchor_seq, a.prev_hash as anchor_hash
       from audit_events e
       left join audit_chain_anchors a on a.tenant_id = e.tenant_id and a.chain = e.level
      where e.tenant_id = ?
     window w as (partition by e.level order by e.seq)
      order by e.level, e.seq`,
    [tenantId],
  );
  const heads = await trx('audit_chain_heads').where({ tenant_id: tenantId }).orderBy('chain').select('chain', 'last_seq');
  return reports('audit', rows as Examined[], withAnchors(heads, rows as Examined[], await trx('audit_chain_anchors').where({ tenant_id: tenantId }).select('chain', 'first_seq')));
}

/** Sign-in chains, all of them or those of the given tenants. */
export async function verifyLoginChains(db: Knex | Knex.Transaction, onlyTenant?: string): Promise<ChainReport[]> {
  const chains = onlyTenant ? [`${onlyTenant}/success`, `${onlyTenant}/failure`] : undefined;
  const { rows } = await db.raw(
    `select e.chain, e.id::text as id, e.seq, e.prev_hash,
        e.row_hash = login_event_hash(e.prev_hash, e.chain, e.seq, e.created_at, e.tenant_id, e.user_id, e.email_hash, e.outcome, e.reason, e.ip) as content_ok,
        lag(e.seq) over w as prev_seq, lag(e.row_hash) over w as expected_prev, a.first_seq as anchor_seq, a.prev_hash as anchor_hash
       from login_events e
       left join login_chain_anchors a on a.chain = e.chain
      where (?::text[] is null or e.chain = any(?::text[]))
     window w as (partition by e.chain order by e.seq)
      order by e.chain, e.seq`,
    [chains ?? null, chains ?? null],
  );
  const headsQ = db('login_chain_heads').orderBy('chain').select('chain', 'last_seq');
  if (chains) headsQ.whereIn('chain', chains);
  const anchorsQ = db('login_chain_anchors').select('chain', 'first_seq');
  if (chains) anchorsQ.whereIn('chain', chains);
  return reports('login', rows as Examined[], withAnchors(await headsQ, rows as Examined[], await anchorsQ));
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
export async function verifyAll(db: Knex): Promise<(ChainReport & { tenantId: string | null })[]> {
  const out: (ChainReport & { tenantId: string | null })[] = [];
  for (const tenantId of await allTenantIds(db)) {
    for (const r of await inTenant(db, tenantId, (trx) => verifyAuditChains(trx, tenantId))) out.push({ ...r, tenantId });
  }
  for (const r of await verifyLoginChains(db)) out.push({ ...r, tenantId: null });
  return out;
}

// --- retention: cut a chain's old end and leave an anchor (runs as the retention role) ----------------

/** Deletes rows up to the last one older than `before` (a prefix of the chain) and anchors the rest. */
async function cutOldEnd(trx: Knex.Transaction, o: {
  table: 'audit_events' | 'login_events'; anchors: 'audit_chain_anchors' | 'login_chain_anchors';
  where: Record<string, string>; anchorKey: Record<string, string>; before: Date; now: Date;
}): Promise<number> {
  const last = await trx(o.table).where(o.where).where('created_at', '<', o.before).orderBy('seq', 'desc').first('seq', 'row_hash');
  if (!last) return 0;
  const deleted = await trx(o.table).where(o.where).where('seq', '<=', last.seq).delete();
  await trx(o.anchors).insert({ ...o.anchorKey, first_seq: Number(last.seq) + 1, prev_hash: last.row_hash, moved_at: o.now })
    .onConflict(Object.keys(o.anchorKey)).merge(['first_seq', 'prev_hash', 'moved_at']);
  return deleted;
}

/**
 * Info audit events and successful sign-ins older than 30 days (errors and failures are kept).
 * `db` must be the retention role: the API role can no longer delete these records.
 */
export async function purgeChainedRecords(db: Knex, now: Date, onlyTenants?: string[]): Promise<{ auditEvents: number; loginEvents: number }> {
  const before = new Date(now.getTime() - 30 * 86_400_000);
  let auditEvents = 0;
  let loginEvents = 0;
  for (const tenantId of onlyTenants ?? (await allTenantIds(db))) {
    auditEvents += await inTenant(db, tenantId, (trx) => cutOldEnd(trx, {
      table: 'audit_events', anchors: 'audit_chain_anchors', where: { tenant_id: tenantId, level: 'info' },
      anchorKey: { tenant_id: tenantId, chain: 'info' }, before, now,
    }));
    const chain = `${tenantId}/success`;
    loginEvents += await db.transaction((trx) => cutOldEnd(trx, {
      table: 'login_events', anchors: 'login_chain_anchors', where: { chain },
      anchorKey: { chain }, before, now,
    }));
  }
  return { auditEvents, loginEvents };
}

/** One line per chain, for the operator: which chain, how many rows, and the first broken row. */
export function describeVerification(results: (ChainReport & { tenantId: string | null })[]): string[] {
  const broken = results.filter((r) => !r.ok).length;
  const summary = `${results.length} chain(s), ${results.reduce((n, r) => n + r.rows, 0)} row(s): ${broken === 0 ? 'all verified' : `${broken} broken`}`;
  return [...results.map((r) => {
    const where = r.kind === 'audit' ? `audit events of tenant ${r.tenantId} (${r.chain})` : `sign-in records ${r.chain}`;
    if (r.ok) return `ok      ${where}: ${r.rows} row(s) verified`;
    const b = r.firstBroken!;
    const row = b.id ? `row id ${b.id}, seq ${b.seq}` : `seq ${b.seq}`;
    return `BROKEN  ${where}: first broken at ${row} (${b.reason})`;
  }), summary];
}
