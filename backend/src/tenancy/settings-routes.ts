import { recordAudit } from '../audit/audit-store.js';
import type { Clock } from '../clock.js';
import { requires, type RouteTable } from '../http/route-table.js';
import type { AccessService } from '../access/access-service.js';
import { bankSettingsBody } from './schemas.js';
import { readSettings, writeSettings } from './settings-store.js';

/** The tenant's own settings: idle limit, password profile, retention, second-factor requirement. */
export function settingsRoutes(routes: RouteTable, clock: Clock, access: AccessService): void {
  routes.guarded('get', '/settings', requires('settings', 'read'), async (ctx) => ({ body: await readSettings(ctx.trx, ctx.tenantId) }));
  routes.guarded('patch', '/settings', requires('settings', 'write'), async (ctx, req) => {
    const parsed = bankSettingsBody.parse(req.body);
    const { accessMode, ...patch } = parsed;
    // The access mode is the bank's alone (never in the vendor's tenant patch), and audited with before and after.
    if (accessMode) await access.changeAccessMode(ctx, accessMode);
    const settings = await writeSettings(ctx.trx, ctx.tenantId, patch, clock.now());
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'settings.changed', details: { fields: Object.keys(parsed).join(',') },
      requestId: ctx.requestId, ip: ctx.ip,
    }, clock.now());
    return { body: settings };
  });
}
