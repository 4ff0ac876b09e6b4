import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import type { Knex } from 'knex';
import { allTenantIds } from '../auth/auth-store.js';
import { inTenant } from '../db/tenant-transaction.js';
import type { Logger } from '../log/logger.js';
import { systemClock, type Clock } from '../clock.js';
import { sendInBackground, type Mailer } from '../mail/mailer.js';
import { auditShippingMail } from '../mail/templates.js';
import { recordAudit } from './audit-store.js';
import { checkpointsAfter } from './checkpoint-store.js';
import { adminRecipients, savePositions, shippedUpTo, unshippedAuditEvents, unshippedLoginEvents, vendorTenantIds } from './shipping-store.js';

/** RFC 5424 facility 13, "log audit". */
const FACILITY = 13;
const SEVERITY = { info: 6, warning: 4, error: 3 } as const;
const BATCH = 500;

interface Shipped {
  tenantId: string | null;
  stream: string;
  seq: number;
  line: string;
}

/** One RFC 5424 message, framed by octet counting (RFC 6587) for TCP. */
export function syslogFrame(o: { severity: keyof typeof SEVERITY; at: Date; msgId: string; json: string }): string {
  const message = `<${FACILITY * 8 + SEVERITY[o.severity]}>1 ${o.at.toISOString()} ${os.hostname()} kontor ${process.pid} ${o.msgId} - ${o.json}`;
  return `${Buffer.byteLength(message)} ${message}`;
}

export interface ShippingHealth {
  status: 'lagging' | 'stalled';
  /** Since when records have been waiting (lagging) or since the last attempt (stalled). */
  since: string;
  lagSeconds: number;
  /** An error code (ECONNREFUSED, a TLS verification code, ETIMEDOUT), never a message. */
  reason: string;
}

/**
 * Streams audit events, sign-in records and signed checkpoints as JSON lines to a syslog server
 * over TCP (RFC 6587) or TLS (RFC 5425), for a log store apart from the application (ASVS
 * 16.4.3). Polls each hash chain from the last shipped seq; positions advance only after the
 * socket accepted the batch, so nothing is lost, and a row may at worst be sent twice after a
 * crash (receivers can deduplicate by stream and seq). It cannot stop silently: records waiting
 * longer than `maxLagMs` turn /api/health degraded, mail the vendor's superadmins and the
 * affected banks' admins once and write an audit event; catching up does the same once more.
 */
export class SyslogShipper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private pendingSince: Date | undefined;
  private lastAttemptAt: Date | undefined;
  private lastError = 'unknown';
  private readonly affected = new Set<string>();
  private degradedSince: Date | undefined;

  constructor(private readonly d: {
    db: Knex; url: string; logger: Logger; intervalMs?: number;
    tls?: { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined };
    maxLagMs?: number; clock?: Clock; mailer?: Mailer;
  }) {}

  private now(): Date {
    return (this.d.clock ?? systemClock).now();
  }

  private get maxLagMs(): number {
    return this.d.maxLagMs ?? 600_000;
  }

  start(): void {
    const tick = () => {
      if (this.running) return;
      this.running = this.shipOnce().then(() => undefined, (err: unknown) => {
        this.d.logger.warn({ errName: (err as Error).name, code: (err as { code?: string }).code }, 'syslog shipping failed; will retry');
      }).finally(() => {
        this.running = undefined;
      });
    };
    this.lastAttemptAt = this.now();
    this.timer = setInterval(tick, this.d.intervalMs ?? 2000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Null while shipping keeps up; else why /api/health is degraded. */
  health(): ShippingHealth | null {
    const now = this.now();
    if (this.degradedSince && this.pendingSince) {
      return { status: 'lagging', since: this.pendingSince.toISOString(), lagSeconds: Math.round((now.getTime() - this.pendingSince.getTime()) / 1000), reason: this.lastError };
    }
    if (this.timer && this.lastAttemptAt && now.getTime() - this.lastAttemptAt.getTime() > this.maxLagMs) {
      return { status: 'stalled', since: this.lastAttemptAt.toISOString(), lagSeconds: Math.round((now.getTime() - this.lastAttemptAt.getTime()) / 1000), reason: 'no_attempt' };
    }
    return null;
  }

  /** Ships everything not yet shipped; returns the number of records sent. */
  async shipOnce(): Promise<number> {
    this.lastAttemptAt = this.now();
    let batch: Shipped[] = [];
    try {
      batch = [...(await this.auditRecords()), ...(await this.loginRecords()), ...(await this.checkpointRecords())];
      if (batch.length > 0) {
        await this.send(batch.map((b) => b.line).join(''));
        const last = new Map<string, number>();
        for (const b of batch) last.set(b.stream, Math.max(last.get(b.stream) ?? 0, b.seq));
        await savePositions(this.d.db, last, new Date());
        this.d.logger.info({ records: batch.length }, 'records shipped to syslog');
      }
    } catch (err) {
      this.pendingSince ??= this.now();
      this.lastError = String((err as { code?: string }).code ?? (err as Error).name).slice(0, 60);
      for (const b of batch) if (b.tenantId) this.affected.add(b.tenantId);
      await this.checkLag();
      throw err;
    }
    await this.caughtUp();
    return batch.length;
  }

  private async checkLag(): Promise<void> {
    if (this.degradedSince || !this.pendingSince) return;
    if (this.now().getTime() - this.pendingSince.getTime() <= this.maxLagMs) return;
    this.degradedSince = this.now();
    this.d.logger.error({ tenants: this.affected.size, code: this.lastError }, 'audit shipping lags behind its bound; health degraded');
    await this.notify('stopped');
  }

  private async caughtUp(): Promise<void> {
    if (this.degradedSince) {
      this.d.logger.warn({ tenants: this.affected.size }, 'audit shipping resumed');
      await this.notify('resumed');
    }
    this.pendingSince = undefined;
    this.degradedSince = undefined;
    this.affected.clear();
  }

  /** One mail per admin and one audit event per affected bank and vendor tenant. */
  private async notify(state: 'stopped' | 'resumed'): Promise<void> {
    const since = this.pendingSince ?? this.now();
    const minutes = Math.max(1, Math.round((this.now().getTime() - since.getTime()) / 60_000));
    try {
      const vendors = await vendorTenantIds(this.d.db);
      const targets: [string, 'tenant_admin' | 'superadmin'][] = [
        ...vendors.map((v): [string, 'superadmin'] => [v, 'superadmin']),
        ...[...this.affected].filter((t) => !vendors.includes(t)).map((t): [string, 'tenant_admin'] => [t, 'tenant_admin']),
      ];
      const mailed = new Set<string>();
      for (const [tenantId, role] of targets) {
        await inTenant(this.d.db, tenantId, (trx) => recordAudit(trx, {
          tenantId, actorUserId: null, type: `audit.shipping_${state}`, details: { minutes, reason: this.lastError, banks: this.affected.size },
        }, this.now()));
        for (const to of await adminRecipients(this.d.db, tenantId, role)) {
          if (mailed.has(to.email) || !this.d.mailer) continue;
          mailed.add(to.email);
          sendInBackground(this.d.mailer, auditShippingMail(to, state, minutes), this.d.logger);
        }
      }
    } catch (err) {
      this.d.logger.error({ errName: (err as Error).name }, 'audit shipping notice failed');
    }
  }

  private async checkpointRecords(): Promise<Shipped[]> {
    const rows = await checkpointsAfter(this.d.db, await shippedUpTo(this.d.db, 'checkpoint'), BATCH);
    return rows.map((r) => ({
      tenantId: r.tenant_id, stream: 'checkpoint', seq: Number(r.id),
      line: syslogFrame({ severity: 'info', at: r.signed_at, msgId: 'checkpoint', json: JSON.stringify({ kind: 'checkpoint', tenantId: r.tenant_id, ...JSON.parse(r.line) }) }),
    }));
  }

  private async auditRecords(): Promise<Shipped[]> {
    const out: Shipped[] = [];
    for (const tenantId of await allTenantIds(this.d.db)) {
      const rows = await unshippedAuditEvents(this.d.db, tenantId, BATCH);
      for (const r of rows) {
        const at = r.created_at as Date;
        const json = JSON.stringify({
          kind: 'audit', tenantId, chain: r.chain, seq: Number(r.seq), id: String(r.id), at: at.toISOString(), type: r.type, level: r.level,
          actorUserId: r.actor_user_id, subjectType: r.subject_type, subjectId: r.subject_id, details: r.details, requestId: r.request_id, ip: r.ip, hash: r.hash,
        });
        out.push({ tenantId, stream: `audit:${tenantId}:${String(r.chain)}`, seq: Number(r.seq), line: syslogFrame({ severity: r.level === 'error' ? 'error' : 'info', at, msgId: 'audit', json }) });
      }
    }
    return out;
  }

  private async loginRecords(): Promise<Shipped[]> {
    const rows = await unshippedLoginEvents(this.d.db, BATCH);
    return rows.map((r) => {
      const at = r.created_at as Date;
      const json = JSON.stringify({
        kind: 'login', chain: r.chain, seq: Number(r.seq), id: String(r.id), at: at.toISOString(), tenantId: r.tenant_id, userId: r.user_id,
        outcome: r.outcome, reason: r.reason, ip: r.ip, hash: r.hash,
      });
      return { tenantId: (r.tenant_id as string | null) ?? null, stream: `login:${String(r.chain)}`, seq: Number(r.seq), line: syslogFrame({ severity: r.outcome === 'failure' ? 'warning' : 'info', at, msgId: 'login', json }) };
    });
  }

  /** TCP (RFC 6587) or TLS (RFC 5425: the same octet-counted frames; the server's certificate is verified). */
  private send(payload: string): Promise<void> {
    const url = new URL(this.d.url);
    const port = Number(url.port);
    return new Promise((resolve, reject) => {
      let socket: net.Socket;
      if (url.protocol === 'tls:') {
        const t = this.d.tls ?? {};
        socket = tls.connect({
          host: url.hostname, port, servername: net.isIP(url.hostname) ? undefined : url.hostname, rejectUnauthorized: true,
          ca: t.caFile ? fs.readFileSync(t.caFile) : undefined,
          cert: t.certFile ? fs.readFileSync(t.certFile) : undefined,
          key: t.keyFile ? fs.readFileSync(t.keyFile) : undefined,
        });
        socket.once('secureConnect', () => socket.end(payload, () => resolve()));
      } else {
        socket = net.createConnection({ host: url.hostname, port });
        socket.once('connect', () => socket.end(payload, () => resolve()));
      }
      socket.setTimeout(10_000, () => socket.destroy(Object.assign(new Error('syslog timeout'), { code: 'ETIMEDOUT' })));
      socket.once('error', reject);
    });
  }
}
