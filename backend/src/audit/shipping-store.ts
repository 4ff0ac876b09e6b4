import type { Knex } from 'knex';
import { inTenant } from '../db/tenant-transaction.js';

/** Who hears about audit shipping trouble: the vendor's superadmins and the affected banks' admins. */
export async function vendorTenantIds(db: Knex): Promise<string[]> {
  return (await db('tenants').where({ is_vendor: true }).pluck('id')) as string[];
}

/** Active holders of the role in the tenant, with the language each chose (null: never chose). */
export async function adminRecipients(db: Knex, tenantId: string, roleKey: 'tenant_admin' | 'superadmin'): Promise<{ email: string; locale: 'de' | 'en' | null }[]> {
  return inTenant(db, tenantId, async (trx) => trx('membership_roles as mr').join('roles as r', 'r.id', 'mr.role_id').join('users as u', 'u.id', 'mr.user_id')
    .where({ 'mr.tenant_id': tenantId, 'r.key': roleKey, 'u.status': 'active' }).distinct<{ email: string; locale: 'de' | 'en' | null }[]>('u.email', 'u.locale'));
}

export async function savePositions(db: Knex, positions: Map<string, number>, at: Date): Promise<void> {
  for (const [stream, seq] of positions) {
    await db('log_shipping_positions').insert({ stream, last_seq: seq, shipped_at: at }).onConflict('stream').merge(['last_seq', 'shipped_at']);
  }
}

export async function shippedUpTo(db: Knex, stream: string): Promise<number> {
  const row = await db('log_shipping_positions').where({ stream }).first('last_seq');
  return row ? Number(row.last_seq) : 0;
}

/** Audit events of one tenant not yet shipped, per chain from its last shipped seq, with the row hash as hex. */
export async function unshippedAuditEvents(db: Knex, tenantId: string, limit: number): Promise<Record<string, unknown>[]> {
  return inTenant(db, tenantId, async (trx) => (await trx.raw(
    `select e.*, encode(e.row_hash, 'hex') as hash from audit_events e
       left join log_shipping_positions p on p.stream = 'audit:' || e.tenant_id || ':' || e.chain
      where e.tenant_id = ? and e.seq > coalesce(p.last_seq, 0)
      order by e.chain, e.seq limit ?`,
    [tenantId, limit],
  )).rows as Record<string, unknown>[]);
}

/** Sign-in records not yet shipped, per chain from its last shipped seq, with the row hash as hex. */
export async function unshippedLoginEvents(db: Knex, limit: number): Promise<Record<string, unknown>[]> {
  const { rows } = await db.raw(
    `select e.*, encode(e.row_hash, 'hex') as hash from login_events e
       left join log_shipping_positions p on p.stream = 'login:' || e.chain
      where e.seq > coalesce(p.last_seq, 0)
      order by e.chain, e.seq limit ?`,
    [limit],
  );
  return rows as Record<string, unknown>[];
}
