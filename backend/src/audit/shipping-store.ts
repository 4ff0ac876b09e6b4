import type { Knex } from 'knex';
import { inTenant } from '../db/tenant-transaction.js';

/** Who hears about audit shipping trouble: the vendor's superadmins and the affected banks' admins. */
export async function vendorTenantIds(db: Knex): Promise<string[]> {
  return (await db('tenants').where({ is_vendor: true }).pluck('id')) as string[];
}

export async function adminEmails(db: Knex, tenantId: string, roleKey: 'tenant_admin' | 'superadmin'): Promise<string[]> {
  return inTenant(db, tenantId, async (trx) => (await trx('membership_roles as mr').join('roles as r', 'r.id', 'mr.role_id').join('users as u', 'u.id', 'mr.user_id')
    .where({ 'mr.tenant_id': tenantId, 'r.key': roleKey, 'u.status': 'active' }).distinct('u.email')).map((r: { email: string }) => r.email));
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
