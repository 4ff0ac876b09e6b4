import type { Knex } from 'knex';

/** The SQL of the audit and sign-in hash chains (verification reads, retention cuts); the logic is in chains.ts. */

/** One chain row as verification sees it: PostgreSQL recomputed its hash and looked up its neighbour and anchor. */
export interface Examined {
  chain: string;
  id: string;
  seq: string;
  content_ok: boolean;
  prev_hash: Buffer;
  prev_seq: string | null;
  expected_prev: Buffer | null;
  anchor_seq: string | null;
  anchor_hash: Buffer | null;
  row_hash: Buffer;
}

export interface ChainHead { chain: string; last_seq: string }
export interface ChainAnchor { chain: string; first_seq: string; prev_hash: Buffer }

const DEFAULT_REVIEW_MONTHS = 13;

/** A tenant's audit events in chain order, hashed again by the insert trigger's own function. */
export async function examinedAuditRows(trx: Knex.Transaction, tenantId: string): Promise<Examined[]> {
  const { rows } = await trx.raw(
    `select e.chain, e.id::text as id, e.seq, e.prev_hash, e.row_hash,
        e.row_hash = audit_event_hash(e.prev_hash, e.tenant_id, e.chain, e.seq, e.created_at, e.actor_user_id, e.type,
                                      e.subject_type, e.subject_id, e.details, e.request_id, e.ip) as content_ok,
        lag(e.seq) over w as prev_seq, lag(e.row_hash) over w as expected_prev, a.first_seq as anchor_seq, a.prev_hash as anchor_hash
       from audit_events e
       left join audit_chain_anchors a on a.tenant_id = e.tenant_id and a.chain = e.chain
      where e.tenant_id = ?
     window w as (partition by e.chain order by e.seq)
      order by e.chain, e.seq`,
    [tenantId],
  );
  return rows as Examined[];
}

export async function auditChainHeads(trx: Knex.Transaction, tenantId: string): Promise<ChainHead[]> {
  return trx('audit_chain_heads').where({ tenant_id: tenantId }).orderBy('chain').select('chain', 'last_seq');
}

export async function auditChainAnchors(trx: Knex.Transaction, tenantId: string): Promise<ChainAnchor[]> {
  return trx('audit_chain_anchors').where({ tenant_id: tenantId }).select('chain', 'first_seq', 'prev_hash');
}

/** Sign-in records in chain order, hashed again; all chains, or only the given ones. */
export async function examinedLoginRows(db: Knex | Knex.Transaction, chains: string[] | undefined): Promise<Examined[]> {
  const { rows } = await db.raw(
    `select e.chain, e.id::text as id, e.seq, e.prev_hash, e.row_hash,
        e.row_hash = login_event_hash(e.prev_hash, e.chain, e.seq, e.created_at, e.tenant_id, e.user_id, e.email_hash, e.outcome, e.reason, e.ip) as content_ok,
        lag(e.seq) over w as prev_seq, lag(e.row_hash) over w as expected_prev, a.first_seq as anchor_seq, a.prev_hash as anchor_hash
       from login_events e
       left join login_chain_anchors a on a.chain = e.chain
      where (?::text[] is null or e.chain = any(?::text[]))
     window w as (partition by e.chain order by e.seq)
      order by e.chain, e.seq`,
    [chains ?? null, chains ?? null],
  );
  return rows as Examined[];
}

export async function loginChainHeads(db: Knex | Knex.Transaction, chains: string[] | undefined): Promise<ChainHead[]> {
  const q = db('login_chain_heads').orderBy('chain').select('chain', 'last_seq');
  if (chains) q.whereIn('chain', chains);
  return q;
}

export async function loginChainAnchors(db: Knex | Knex.Transaction, chains: string[] | undefined): Promise<ChainAnchor[]> {
  const q = db('login_chain_anchors').select('chain', 'first_seq', 'prev_hash');
  if (chains) q.whereIn('chain', chains);
  return q;
}

/** The bank's review period (tenant_settings.audit_review_months), inside its transaction. */
export async function reviewMonths(trx: Knex.Transaction, tenantId: string): Promise<number> {
  const row = await trx('tenant_settings').where({ tenant_id: tenantId }).first('audit_review_months');
  return row ? Number(row.audit_review_months) : DEFAULT_REVIEW_MONTHS;
}

/** A tenant's info-chain events created in [from, to), in seq order. */
export async function infoEventsBetween(trx: Knex.Transaction, tenantId: string, from: Date, to: Date): Promise<{ seq: string; type: string }[]> {
  return trx('audit_events').where({ tenant_id: tenantId, chain: 'info' })
    .where('created_at', '>=', from).where('created_at', '<', to).orderBy('seq').select('seq', 'type');
}

/**
 * Deletes rows up to the last one older than `before` (a prefix of the chain), but never from
 * `keepFromSeq` on, and anchors the rest.
 */
export async function cutOldEnd(trx: Knex.Transaction, o: {
  table: 'audit_events' | 'login_events'; anchors: 'audit_chain_anchors' | 'login_chain_anchors';
  where: Record<string, string>; anchorKey: Record<string, string>; before: Date; now: Date; keepFromSeq?: number | undefined;
}): Promise<number> {
  // The cut stops before the first row that is not yet old enough, whatever older rows follow it.
  const young = await trx(o.table).where(o.where).where('created_at', '>=', o.before).min({ seq: 'seq' }).first();
  const limits = [o.keepFromSeq, young?.seq === null || young?.seq === undefined ? undefined : Number(young.seq)].filter((x): x is number => x !== undefined);
  const q = trx(o.table).where(o.where).where('created_at', '<', o.before);
  if (limits.length) q.where('seq', '<', Math.min(...limits));
  const last = await q.orderBy('seq', 'desc').first('seq', 'row_hash');
  if (!last) return 0;
  const deleted = await trx(o.table).where(o.where).where('seq', '<=', last.seq).delete();
  await trx(o.anchors).insert({ ...o.anchorKey, first_seq: Number(last.seq) + 1, prev_hash: last.row_hash, moved_at: o.now })
    .onConflict(Object.keys(o.anchorKey)).merge(['first_seq', 'prev_hash', 'moved_at']);
  return deleted;
}
