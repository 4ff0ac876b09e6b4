import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-store.js';
import type { Clock } from '../clock.js';
import { requires, type RouteTable } from '../http/route-table.js';
import { settingsBody } from './schemas.js';

interface SettingsRow {
  idle_minutes: number;
  absolute_hours: number;
  password_profile: string;
  retention_days: number;
  mfa_required: string;
}

async function readSettings(trx: Knex.Transaction, tenantId: string) {
  await trx('tenant_settings').insert({ tenant_id: tenantId }).onConflict('tenant_id').ignore();
  const s = (await trx('tenant_settings').where({ tenant_id: tenantId }).first()) as SettingsRow;
  return {
    idleMinutes: s.idle_minutes, absoluteHours: s.absolute_hours, passwordProfile: s.password_profile,
    retentionDays: s.retention_days, mfaRequired: s.mfa_required,
  };
}

/** The tenant's own settings: idle limit, password profile, retention, second-factor requirement. */
export function settingsRoutes(routes: RouteTable, clock: Clock): void {
  routes.guarded('get', '/settings', requires('settings', 'read'), async (ctx) => ({ body: await readSettings(ctx.trx, ctx.tenantId) }));
  routes.guarded('patch', '/settings', requires('settings', 'write'), async (ctx, req) => {
    const patch = settingsBody.parse(req.body);
    const columns: Record<string, unknown> = { updated_at: clock.now() };
    if (patch.idleMinutes !== undefined) columns.idle_minutes = patch.idleMinutes;
    if (patch.absoluteHours !== undefined) columns.absolute_hours = patch.absoluteHours;
    if (patch.passwordProfile !== undefined) columns.password_profile = patch.passwordProfile;
    if (patch.retentionDays !== undefined) columns.retention_days = patch.retentionDays;
    if (patch.mfaRequired !== undefined) columns.mfa_required = patch.mfaRequired;
    await readSettings(ctx.trx, ctx.tenantId);
    await ctx.trx('tenant_settings').where({ tenant_id: ctx.tenantId }).update(columns);
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'settings.changed', details: { fields: Object.keys(patch).join(',') },
      requestId: ctx.requestId, ip: ctx.ip,
    }, clock.now());
    return { body: await readSettings(ctx.trx, ctx.tenantId) };
  });
}
