import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-store.js';
import type { Clock } from '../clock.js';
import { inTenant } from '../db/tenant-transaction.js';
import type { Logger } from '../log/logger.js';
import { sendInBackground, type Mailer } from '../mail/mailer.js';
import { containerRetentionMail } from '../mail/templates.js';

const DAY_MS = 86_400_000;
export const WARN_DAYS_BEFORE = 30;

/**
 * Unlocked containers end after the tenant's retention period, counted from their last
 * calculation or import (or creation). Tenant admins are mailed 30 days before; locked
 * containers are kept. Runs per tenant inside that tenant's transaction.
 */
export async function containerRetention(deps: { db: Knex; clock: Clock; mailer: Mailer; logger: Logger }, onlyTenants?: string[]): Promise<{ deleted: number; warned: number }> {
  const now = deps.clock.now();
  let deleted = 0;
  let warned = 0;
  const q = deps.db('tenants').whereNull('deactivated_at');
  if (onlyTenants) q.whereIn('id', onlyTenants);
  const tenants = (await q.pluck('id')) as string[];
  for (const tenantId of tenants) {
    await inTenant(deps.db, tenantId, async (trx) => {
      const settings = await trx('tenant_settings').where({ tenant_id: tenantId }).first('retention_days');
      const days = (settings?.retention_days as number | undefined) ?? 1095;
      const lastUse = trx.raw('coalesce(greatest(last_calculated_at, last_import_at), last_import_at, created_at)');
      const expired = await trx('containers').where({ tenant_id: tenantId, locked: false })
        .where(lastUse, '<', new Date(now.getTime() - days * DAY_MS)).select('id', 'groups_count');
      for (const c of expired as { id: string; groups_count: number }[]) {
        await trx('containers').where({ tenant_id: tenantId, id: c.id }).delete();
        await recordAudit(trx, { tenantId, actorUserId: null, type: 'container.retention_deleted', subjectType: 'container', subjectId: c.id, details: { groups: c.groups_count, days } }, now);
        deleted++;
      }
      const soon = await trx('containers').where({ tenant_id: tenantId, locked: false })
        .where(lastUse, '<', new Date(now.getTime() - (days - WARN_DAYS_BEFORE) * DAY_MS))
        .where((q) => { q.whereNull('retention_warned_at').orWhere('retention_warned_at', '<', lastUse); })
        .select<{ id: string; name: string }[]>('id', 'name');
      if (soon.length === 0) return;
      const admins = await trx('membership_roles as mr').join('roles as r', 'r.id', 'mr.role_id').join('users as u', 'u.id', 'mr.user_id')
        .where({ 'mr.tenant_id': tenantId, 'r.key': 'tenant_admin', 'u.status': 'active' }).where('u.tenant_id', tenantId).distinct<{ email: string }[]>('u.email');
      for (const a of admins) sendInBackground(deps.mailer, containerRetentionMail(a.email, soon.map((s) => s.name), WARN_DAYS_BEFORE), deps.logger);
      await trx('containers').whereIn('id', soon.map((s) => s.id)).where({ tenant_id: tenantId }).update({ retention_warned_at: now });
      for (const s of soon) {
        await recordAudit(trx, { tenantId, actorUserId: null, type: 'container.retention_warning', subjectType: 'container', subjectId: s.id, details: { admins: admins.length } }, now);
      }
      warned += soon.length;
    });
  }
  return { deleted, warned };
}
