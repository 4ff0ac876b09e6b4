import { sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { allTenantIds } from '../auth/auth-store.js';
import type { Clock } from '../clock.js';
import { inTenant } from '../db/tenant-transaction.js';
import type { Logger } from '../log/logger.js';
import type { SigningKey } from './checkpoint-key.js';
import {
  auditAnchor, auditHeads, auditSegment, insertCheckpoint, loginAnchor, loginHeads, loginSegment, newestCopiedCheckpoints, type Anchor, type Head, type SegmentRow,
} from './checkpoint-store.js';

/**
 * Signed checkpoints (issue 16): each chain's head (chain id, last seq, last hash, time) signed
 * with the Ed25519 key in `$KONTOR_HOME/checkpoint-key.pem`, appended as a JSON line to
 * `$KONTOR_HOME/checkpoints/<tenant>.jsonl` (`none.jsonl` for sign-ins without a bank), and copied
 * into the database for the bank's download and the syslog stream. A new checkpoint is signed
 * only when the chain still extends the last one it trusts (the row at its seq carries its hash,
 * every later row links and verifies): a rewound or rewritten chain is refused, never re-signed.
 *
 * Chain ids: `audit:<tenant>:<info|error|review>` and `login:<tenant|none>/<success|failure>`.
 */

export interface Checkpoint {
  v: 1;
  chain: string;
  seq: number;
  hash: string;
  at: string;
  keyId: string;
  sig: string;
}

export const auditChainId = (tenantId: string, chain: string): string => `audit:${tenantId}:${chain}`;
export const loginChainId = (chain: string): string => `login:${chain}`;

/** The bank a chain belongs to, or null (sign-in attempts without a known bank). */
export function tenantOfChain(chainId: string): string | null {
  const [kind, rest = ''] = chainId.split(/:(.*)/s);
  const tenant = kind === 'audit' ? rest.split(':')[0]! : rest.split('/')[0]!;
  return tenant === 'none' ? null : tenant;
}

/** The exact bytes the signature covers (tools/verify-audit-export.mjs builds the same). */
export function checkpointMessage(cp: Pick<Checkpoint, 'chain' | 'seq' | 'hash' | 'at'>): Buffer {
  return Buffer.from(`kontor-checkpoint/1\n${cp.chain}\n${cp.seq}\n${cp.hash}\n${cp.at}`, 'utf8');
}

export function signCheckpoint(key: SigningKey, c: { chain: string; seq: number; hash: string; at: Date }): Checkpoint {
  const body = { chain: c.chain, seq: c.seq, hash: c.hash, at: c.at.toISOString() };
  return { v: 1, ...body, keyId: key.keyId, sig: sign(null, checkpointMessage(body), key.privateKey).toString('base64') };
}

/** A parsed line if it is a well-formed checkpoint signed with `publicKey`, else null. */
export function trustedCheckpoint(line: string, publicKey: KeyObject): Checkpoint | null {
  let o: Partial<Checkpoint>;
  try {
    o = JSON.parse(line) as Partial<Checkpoint>;
  } catch {
    return null;
  }
  if (typeof o.chain !== 'string' || !Number.isSafeInteger(o.seq) || !/^[0-9a-f]{64}$/.test(String(o.hash)) || typeof o.at !== 'string' || typeof o.sig !== 'string') return null;
  const cp = o as Checkpoint;
  try {
    return verify(null, checkpointMessage(cp), publicKey, Buffer.from(cp.sig, 'base64')) ? cp : null;
  } catch {
    return null;
  }
}

export interface FileCheckpoints {
  /** Signed with the key, in file order. */
  trusted: Checkpoint[];
  /** Lines that are not (edited, or signed with another key): file and line number. */
  refused: { file: string; line: number }[];
}

/** Why a chain may not be signed again; the seq where it stopped extending its last checkpoint. */
export interface Refusal {
  chain: string;
  seq: number;
  reason: 'rewound' | 'rewritten' | 'broken';
}

const FILE_SUFFIX = '.jsonl';

export class CheckpointService {
  readonly dir: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  /** Per file: how far it was read, and the newest trusted checkpoint of each chain in it. */
  private readonly cache = new Map<string, { offset: number; newest: Map<string, Checkpoint> }>();

  /** `dir`: the cluster's checkpoint directory (AUDIT_CHECKPOINT_DIR), default `$KONTOR_HOME/checkpoints`. */
  constructor(private readonly d: { db: Knex; home: string; dir?: string; key: SigningKey; clock: Clock; logger: Logger }) {
    this.dir = d.dir ?? path.join(d.home, 'checkpoints');
  }

  get publicKeyPem(): string {
    return this.d.key.publicKeyPem;
  }

  get keyId(): string {
    return this.d.key.keyId;
  }

  start(intervalMs: number): void {
    const tick = () => {
      this.running = this.checkpoint().catch((err: unknown) => {
        this.d.logger.error({ errName: (err as Error).name }, 'checkpoint run failed');
      });
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private fileOf(tenantId: string | null): string {
    return path.join(this.dir, `${tenantId ?? 'none'}${FILE_SUFFIX}`);
  }

  /** Every line of a bank's checkpoint file (or the `none` file), each checked against the key. */
  readFile(tenantId: string | null): FileCheckpoints {
    const file = this.fileOf(tenantId);
    return this.parse(file, fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '', 0);
  }

  /** Trusted checkpoints of every file, for the installation-wide verification. */
  readAll(): FileCheckpoints {
    const out: FileCheckpoints = { trusted: [], refused: [] };
    if (!fs.existsSync(this.dir)) return out;
    for (const name of fs.readdirSync(this.dir).filter((n) => n.endsWith(FILE_SUFFIX)).sort()) {
      const part = this.parse(path.join(this.dir, name), fs.readFileSync(path.join(this.dir, name), 'utf8'), 0);
      out.trusted.push(...part.trusted);
      out.refused.push(...part.refused);
    }
    return out;
  }

  private parse(file: string, text: string, firstLine: number): FileCheckpoints {
    const out: FileCheckpoints = { trusted: [], refused: [] };
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      const cp = trustedCheckpoint(line, this.d.key.publicKey);
      if (cp) out.trusted.push(cp);
      else out.refused.push({ file: path.basename(file), line: firstLine + i + 1 });
    });
    return out;
  }

  /** The newest trusted checkpoint of each chain in a file; reads only what was appended since last time. */
  private newestIn(tenantId: string | null): Map<string, Checkpoint> {
    const file = this.fileOf(tenantId);
    let entry = this.cache.get(file);
    const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
    if (!entry || size < entry.offset) {
      if (entry) this.d.logger.error({ tenantId }, 'checkpoint file shrank; it was re-read');
      entry = { offset: 0, newest: new Map() };
      this.cache.set(file, entry);
    }
    if (size > entry.offset) {
      const fd = fs.openSync(file, 'r');
      try {
        const buffer = Buffer.alloc(size - entry.offset);
        fs.readSync(fd, buffer, 0, buffer.length, entry.offset);
        const text = buffer.toString('utf8');
        const complete = text.lastIndexOf('\n') + 1;
        for (const line of text.slice(0, complete).split('\n')) {
          if (line.trim() === '') continue;
          const cp = trustedCheckpoint(line, this.d.key.publicKey);
          if (!cp) continue;
          const known = entry.newest.get(cp.chain);
          if (!known || cp.seq >= known.seq) entry.newest.set(cp.chain, cp);
        }
        entry.offset += Buffer.byteLength(text.slice(0, complete));
      } finally {
        fs.closeSync(fd);
      }
    }
    return entry.newest;
  }

  /**
   * Signs the head of every chain that moved since its last checkpoint (all banks, or the given
   * ones with their sign-in chains). A chain that no longer extends its last checkpoint is refused.
   */
  async checkpoint(onlyTenants?: string[]): Promise<{ signed: Checkpoint[]; refused: Refusal[]; skipped: string[] }> {
    const signed: Checkpoint[] = [];
    const refused: Refusal[] = [];
    const skipped: string[] = [];
    // What the cluster signed, from the database copies (only lines that verify with our key).
    const cluster = new Map<string, number>();
    for (const row of await newestCopiedCheckpoints(this.d.db, this.d.key.keyId)) {
      const cp = trustedCheckpoint(row.line, this.d.key.publicKey);
      if (cp?.chain === row.chain) cluster.set(cp.chain, cp.seq);
    }
    const sign = { signed, refused, skipped, cluster };
    const tenants = onlyTenants ?? (await allTenantIds(this.d.db));
    for (const tenantId of tenants) {
      const heads = await inTenant(this.d.db, tenantId, (trx) => auditHeads(trx, tenantId));
      for (const head of heads) {
        const chain = auditChainId(tenantId, head.chain);
        await this.signIfExtends(tenantId, chain, head, (fromSeq) => inTenant(this.d.db, tenantId, async (trx) => ({
          rows: await auditSegment(trx, tenantId, head.chain, fromSeq), anchor: await auditAnchor(trx, tenantId, head.chain),
        })), sign);
      }
    }
    const logins = onlyTenants ? (await Promise.all(onlyTenants.map((t) => loginHeads(this.d.db, t)))).flat() : await loginHeads(this.d.db);
    for (const head of logins) {
      const chain = loginChainId(head.chain);
      await this.signIfExtends(tenantOfChain(chain), chain, head, async (fromSeq) => ({
        rows: await loginSegment(this.d.db, head.chain, fromSeq), anchor: await loginAnchor(this.d.db, head.chain),
      }), sign);
    }
    if (signed.length || refused.length || skipped.length) this.d.logger.info({ signed: signed.length, refused: refused.length, skipped: skipped.length }, 'checkpoints signed');
    return { signed, refused, skipped };
  }

  private async signIfExtends(
    tenantId: string | null, chain: string, head: Head,
    segment: (fromSeq: number) => Promise<{ rows: SegmentRow[]; anchor: Anchor | undefined }>,
    out: { signed: Checkpoint[]; refused: Refusal[]; skipped: string[]; cluster: Map<string, number> },
  ): Promise<void> {
    const { signed, refused } = out;
    const headSeq = Number(head.last_seq);
    const headHash = head.last_hash.toString('hex');
    if (headSeq === 0) return;
    const last = this.newestIn(tenantId).get(chain);
    const clusterSeq = out.cluster.get(chain);
    if (clusterSeq !== undefined && clusterSeq > (last?.seq ?? 0)) {
      // Another instance signed a later checkpoint into another directory: signing here would
      // start the chain's checkpoints afresh in a second place, not extend the last one.
      out.skipped.push(chain);
      this.d.logger.error({ tenantId, seq: clusterSeq }, 'checkpoint skipped: a later checkpoint of this chain is not in this checkpoint directory (AUDIT_CHECKPOINT_DIR must be one directory for the cluster)');
      return;
    }
    if (last && last.seq === headSeq && last.hash === headHash) return;
    const problem = last ? await this.extends(last, headSeq, headHash, segment) : await this.headMatches(headSeq, headHash, segment);
    if (problem) {
      refused.push({ chain, ...problem });
      this.d.logger.error({ tenantId, seq: problem.seq, reason: problem.reason }, 'checkpoint refused: the chain no longer extends its last checkpoint');
      return;
    }
    const cp = signCheckpoint(this.d.key, { chain, seq: headSeq, hash: headHash, at: this.d.clock.now() });
    const line = JSON.stringify(cp);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // O_APPEND: lines are only ever added; the database copy follows the file.
    fs.appendFileSync(this.fileOf(tenantId), `${line}\n`, { mode: 0o600, flag: 'a' });
    await insertCheckpoint(this.d.db, { tenantId, chain, seq: cp.seq, hash: cp.hash, at: new Date(cp.at), keyId: cp.keyId, line });
    signed.push(cp);
  }

  /** First checkpoint of a chain: its head must at least be its last row. */
  private async headMatches(headSeq: number, headHash: string, segment: (fromSeq: number) => Promise<{ rows: SegmentRow[]; anchor: Anchor | undefined }>): Promise<Omit<Refusal, 'chain'> | null> {
    const { rows, anchor } = await segment(headSeq);
    const row = rows[0];
    if (row) return Number(row.seq) === headSeq && rows.length === 1 && row.row_hash.toString('hex') === headHash && row.content_ok ? null : { seq: headSeq, reason: 'broken' };
    return anchor && Number(anchor.first_seq) === headSeq + 1 && anchor.prev_hash.toString('hex') === headHash ? null : { seq: headSeq, reason: 'broken' };
  }

  /** Whether the chain from `last` to the head is intact: null, or where and why not. */
  private async extends(last: Checkpoint, headSeq: number, headHash: string, segment: (fromSeq: number) => Promise<{ rows: SegmentRow[]; anchor: Anchor | undefined }>): Promise<Omit<Refusal, 'chain'> | null> {
    if (headSeq < last.seq) return { seq: headSeq, reason: 'rewound' };
    const { rows, anchor } = await segment(last.seq);
    const anchorPrev = anchor ? Number(anchor.first_seq) - 1 : 0;
    let expectSeq: number;
    let expectPrev: string;
    if (anchor && anchorPrev >= last.seq) {
      // Retention cut the checkpointed row: the anchor carries on (at the checkpoint's seq it must agree).
      if (anchorPrev === last.seq && anchor.prev_hash.toString('hex') !== last.hash) return { seq: last.seq, reason: 'rewritten' };
      expectSeq = anchorPrev + 1;
      expectPrev = anchor.prev_hash.toString('hex');
    } else {
      const at = rows[0];
      if (!at || Number(at.seq) !== last.seq) return { seq: last.seq, reason: 'rewound' };
      if (at.row_hash.toString('hex') !== last.hash) return { seq: last.seq, reason: 'rewritten' };
      expectSeq = last.seq + 1;
      expectPrev = last.hash;
    }
    for (const r of rows.filter((x) => Number(x.seq) >= expectSeq)) {
      if (Number(r.seq) !== expectSeq || r.prev_hash.toString('hex') !== expectPrev || !r.content_ok) return { seq: Number(r.seq), reason: 'broken' };
      expectSeq += 1;
      expectPrev = r.row_hash.toString('hex');
    }
    if (expectSeq - 1 !== headSeq || expectPrev !== headHash) return { seq: expectSeq, reason: 'broken' };
    return null;
  }
}
