import type { Knex } from 'knex';

/** SQL for checkpoints and exports: the chain heads, a chain's rows from a seq on, the export rows. */

export interface Head {
  chain: string;
  last_seq: string;
  last_hash: Buffer;
}

export interface SegmentRow {
  seq: string;
  prev_hash: Buffer;
  row_hash: Buffer;
  content_ok: boolean;
}

export interface Anchor {
  first_seq: string;
  prev_hash: Buffer;
}

export async function auditHeads(trx: Knex.Transaction, tenantId: string): Promise<Head[]> {
  return trx('audit_chain_heads').where({ tenant_id: tenantId }).orderBy('chain').select('chain', 'last_seq', 'last_hash');
}

export async function loginHeads(db: Knex | Knex.Transaction, onlyTenant?: string): Promise<Head[]> {
  const q = db('login_chain_heads').orderBy('chain').select('chain', 'last_seq', 'last_hash');
  if (onlyTenant) q.whereIn('chain', [`${onlyTenant}/success`, `${onlyTenant}/failure`]);
  return q;
}

export async function auditAnchor(trx: Knex.Transaction, tenantId: string, chain: string): Promise<Anchor | undefined> {
  return trx('audit_chain_anchors').where({ tenant_id: tenantId, chain }).first('first_seq', 'prev_hash');
}

export async function loginAnchor(db: Knex | Knex.Transaction, chain: string): Promise<Anchor | undefined> {
  return db('login_chain_anchors').where({ chain }).first('first_seq', 'prev_hash');
}

/** A chain's rows from `fromSeq` on, each with its content hash recomputed by PostgreSQL. */
export async function auditSegment(trx: Knex.Transaction, tenantId: string, chain: string, fromSeq: number): Promise<SegmentRow[]> {
  const { rows } = await trx.raw(
    `select e.seq, e.prev_hash, e.row_hash,
        e.row_hash = audit_event_hash(e.prev_hash, e.tenant_id, e.chain, e.seq, e.created_at, e.actor_user_id, e.type,
                                      e.subject_type, e.subject_id, e.details, e.request_id, e.ip) as content_ok
       from audit_events e where e.tenant_id = ? and e.chain = ? and e.seq >= ? order by e.seq`,
    [tenantId, chain, fromSeq],
  );
  return rows as SegmentRow[];
}

export async function loginSegment(db: Knex | Knex.Transaction, chain: string, fromSeq: number): Promise<SegmentRow[]> {
  const { rows } = await db.raw(
    `select e.seq, e.prev_hash, e.row_hash,
        e.row_hash = login_event_hash(e.prev_hash, e.chain, e.seq, e.created_at, e.tenant_id, e.user_id, e.email_hash, e.outcome, e.reason, e.ip) as content_ok
       from login_events e where e.chain = ? and e.seq >= ? order by e.seq`,
    [chain, fromSeq],
  );
  return rows as SegmentRow[];
}

export async function insertCheckpoint(db: Knex, row: { tenantId: string | null; chain: string; seq: number; hash: string; at: Date; keyId: string; line: string }): Promise<void> {
  await db('audit_checkpoints').insert({
    tenant_id: row.tenantId, chain: row.chain, last_seq: row.seq, last_hash: Buffer.from(row.hash, 'hex'), signed_at: row.at, key_id: row.keyId, line: row.line,
  });
}

/** The database copy of each chain's highest checkpoint signed with this key, by whichever instance signed it. */
export async function newestCopiedCheckpoints(db: Knex, keyId: string): Promise<{ chain: string; line: string }[]> {
  const { rows } = await db.raw<{ rows: { chain: string; line: string }[] }>(
    'select distinct on (chain) chain, line from audit_checkpoints where key_id = ? order by chain, last_seq desc',
    [keyId],
  );
  return rows;
}

/** Checkpoints copied to the database after `afterId` (for the syslog stream). */
export async function checkpointsAfter(db: Knex, afterId: number, limit: number): Promise<{ id: string; tenant_id: string | null; line: string; signed_at: Date }[]> {
  return db('audit_checkpoints').where('id', '>', afterId).orderBy('id').limit(limit).select('id', 'tenant_id', 'line', 'signed_at');
}

// --- export --------------------------------------------------------------------------------------

export interface ExportRow {
  seq: string;
  id: string;
  created_at: Date;
  prev_hash: string;
  hash: string;
  canonical: string;
}

/** The lowest and highest seq of a chain's rows created in [from, to). */
export async function auditSpan(trx: Knex.Transaction, tenantId: string, chain: string, from: Date, to: Date): Promise<{ min: string | null; max: string | null }> {
  return trx('audit_events').where({ tenant_id: tenantId, chain }).where('created_at', '>=', from).where('created_at', '<', to)
    .first(trx.raw('min(seq)::text as min'), trx.raw('max(seq)::text as max'));
}

export async function loginSpan(trx: Knex.Transaction, chain: string, from: Date, to: Date): Promise<{ min: string | null; max: string | null }> {
  return trx('login_events').where({ chain }).where('created_at', '>=', from).where('created_at', '<', to)
    .first(trx.raw('min(seq)::text as min'), trx.raw('max(seq)::text as max'));
}

/** Rows of one audit chain in a seq range, with the exact text their hash covers (as in audit_event_hash). */
export async function auditExportRows(trx: Knex.Transaction, tenantId: string, chain: string, fromSeq: number, toSeq: number): Promise<ExportRow[]> {
  const { rows } = await trx.raw(
    `select e.seq, e.id::text as id, e.created_at, encode(e.prev_hash, 'hex') as prev_hash, encode(e.row_hash, 'hex') as hash,
        jsonb_build_array(encode(e.prev_hash, 'hex'), e.tenant_id, e.chain, e.seq,
          to_char(e.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.actor_user_id, e.type, e.subject_type, e.subject_id,
          e.details, e.request_id, e.ip)::text as canonical
       from audit_events e where e.tenant_id = ? and e.chain = ? and e.seq between ? and ? order by e.seq`,
    [tenantId, chain, fromSeq, toSeq],
  );
  return rows as ExportRow[];
}

export async function loginExportRows(trx: Knex.Transaction, chain: string, fromSeq: number, toSeq: number): Promise<ExportRow[]> {
  const { rows } = await trx.raw(
    `select e.seq, e.id::text as id, e.created_at, encode(e.prev_hash, 'hex') as prev_hash, encode(e.row_hash, 'hex') as hash,
        jsonb_build_array(encode(e.prev_hash, 'hex'), e.chain, e.seq, to_char(e.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          e.tenant_id, e.user_id, e.email_hash, e.outcome, e.reason, e.ip)::text as canonical
       from login_events e where e.chain = ? and e.seq between ? and ? order by e.seq`,
    [chain, fromSeq, toSeq],
  );
  return rows as ExportRow[];
}
