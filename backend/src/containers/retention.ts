import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-store.js';
import type { Clock } from '../clock.js';
import { inWholeTenant } from '../db/tenant-transaction.js';
import type { Logger } from '../log/logger.js';
import { sendInBackground, type Mailer } from '../mail/mailer.js';
import { containerRetentionMail } from '../mail/templates.js';
import * as store from './containers-store.js';

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
  for (const tenantId of await store.activeTenantIds(deps.db, onlyTenants)) {
    await inWholeTenant(deps.db, tenantId, async (trx) => {
      const days = await store.retentionDays(trx, tenantId);
      for (const c of await store.unusedSince(trx, tenantId, new Date(now.getTime() - days * DAY_MS))) {
        await store.deleteContainer(trx, tenantId, c.id);
        await recordAudit(trx, { tenantId, actorUserId: null, type: 'container.retention_deleted', subjectType: 'container', subjectId: c.id, details: { groups: c.groups_count, days } }, now);
        deleted++;
      }
      const soon = await store.unwarnedUnusedSince(trx, tenantId, new Date(now.getTime() - (days - WARN_DAYS_BEFORE) * DAY_MS));
      if (soon.length === 0) return;
      // One mail per admin, each in the language that admin chose.
      const admins = await store.tenantAdminRecipients(trx, tenantId);
      for (const to of admins) sendInBackground(deps.mailer, containerRetentionMail(to, soon.map((s) => s.name), WARN_DAYS_BEFORE), deps.logger);
      await store.markRetentionWarned(trx, tenantId, soon.map((s) => s.id), now);
      for (const s of soon) {
        await recordAudit(trx, { tenantId, actorUserId: null, type: 'container.retention_warning', subjectType: 'container', subjectId: s.id, details: { admins: admins.length } }, now);
      }
      warned += soon.length;
    });
  }
  return { deleted, warned };
}
