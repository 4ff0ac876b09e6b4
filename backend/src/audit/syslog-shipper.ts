import net from 'node:net';
import os from 'node:os';
import type { Knex } from 'knex';
import { allTenantIds } from '../auth/auth-store.js';
import { inTenant } from '../db/tenant-transaction.js';
import type { Logger } from '../log/logger.js';

/** RFC 5424 facility 13, "log audit". */
const FACILITY = 13;
const SEVERITY = { info: 6, warning: 4, error: 3 } as const;
const BATCH = 500;

interface Shipped {
  stream: string;
  seq: number;
  line: string;
}

/** One RFC 5424 message, framed by octet counting (RFC 6587) for TCP. */
export function syslogFrame(o: { severity: keyof typeof SEVERITY; at: Date; msgId: string; json: string }): string {
  const message = `<${FACILITY * 8 + SEVERITY[o.severity]}>1 ${o.at.toISOString()} ${os.hostname()} kontor ${process.pid} ${o.msgId} - ${o.json}`;
  return `${Buffer.byteLength(message)} ${message}`;
}

/**
 * Streams audit events and sign-in records as JSON lines to a syslog server over TCP, for a log
 * store apart from the application (ASVS 16.4.3). Polls each hash chain from the last shipped seq;
 * positions advance only after the socket accepted the batch, so nothing is lost, and a row may at
 * worst be sent twice after a crash (receivers can deduplicate by stream and seq).
 */
export class SyslogShipper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly d: { db: Knex; url: string; logger: Logger; intervalMs?: number }) {}

  start(): void {
    const tick = () => {
      this.running = this.shipOnce().then(() => undefined, (err: unknown) => {
        this.d.logger.warn({ errName: (err as Error).name, code: (err as { code?: string }).code }, 'syslog shipping failed; will retry');
      });
    };
    this.timer = setInterval(tick, this.d.intervalMs ?? 2000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Ships everything not yet shipped; returns the number of records sent. */
  async shipOnce(): Promise<number> {
    const batch = [...(await this.auditRecords()), ...(await this.loginRecords())];
    if (batch.length === 0) return 0;
    await this.send(batch.map((b) => b.line).join(''));
    const last = new Map<string, number>();
    for (const b of batch) last.set(b.stream, Math.max(last.get(b.stream) ?? 0, b.seq));
    for (const [stream, seq] of last) {
      await this.d.db('log_shipping_positions').insert({ stream, last_seq: seq, shipped_at: new Date() })
        .onConflict('stream').merge(['last_seq', 'shipped_at']);
    }
    this.d.logger.info({ records: batch.length }, 'records shipped to syslog');
    return batch.length;
  }

  private async auditRecords(): Promise<Shipped[]> {
    const out: Shipped[] = [];
    for (const tenantId of await allTenantIds(this.d.db)) {
      const rows = await inTenant(this.d.db, tenantId, (trx) => trx.raw(
        `select e.*, encode(e.row_hash, 'hex') as hash from audit_events e
           left join log_shipping_positions p on p.stream = 'audit:' || e.tenant_id || ':' || e.level
          where e.tenant_id = ? and e.seq > coalesce(p.last_seq, 0)
          order by e.level, e.seq limit ?`,
        [tenantId, BATCH],
      ));
      for (const r of rows.rows as Record<string, unknown>[]) {
        const at = r.created_at as Date;
        const json = JSON.stringify({
          kind: 'audit', tenantId, chain: r.level, seq: Number(r.seq), id: String(r.id), at: at.toISOString(), type: r.type, level: r.level,
          actorUserId: r.actor_user_id, subjectType: r.subject_type, subjectId: r.subject_id, details: r.details, requestId: r.request_id, ip: r.ip, hash: r.hash,
        });
        out.push({ stream: `audit:${tenantId}:${String(r.level)}`, seq: Number(r.seq), line: syslogFrame({ severity: r.level === 'error' ? 'error' : 'info', at, msgId: 'audit', json }) });
      }
    }
    return out;
  }

  private async loginRecords(): Promise<Shipped[]> {
    const { rows } = await this.d.db.raw(
      `select e.*, encode(e.row_hash, 'hex') as hash from login_events e
         left join log_shipping_positions p on p.stream = 'login:' || e.chain
        where e.seq > coalesce(p.last_seq, 0)
        order by e.chain, e.seq limit ?`,
      [BATCH],
    );
    return (rows as Record<string, unknown>[]).map((r) => {
      const at = r.created_at as Date;
      const json = JSON.stringify({
        kind: 'login', chain: r.chain, seq: Number(r.seq), id: String(r.id), at: at.toISOString(), tenantId: r.tenant_id, userId: r.user_id,
        outcome: r.outcome, reason: r.reason, ip: r.ip, hash: r.hash,
      });
      return { stream: `login:${String(r.chain)}`, seq: Number(r.seq), line: syslogFrame({ severity: r.outcome === 'failure' ? 'warning' : 'info', at, msgId: 'login', json }) };
    });
  }

  private send(payload: string): Promise<void> {
    const url = new URL(this.d.url);
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host: url.hostname, port: Number(url.port) });
      socket.setTimeout(10_000, () => socket.destroy(new Error('syslog timeout')));
      socket.once('error', reject);
      socket.once('connect', () => socket.end(payload, () => resolve()));
    });
  }
}
