import { recordAudit } from '../audit/audit-store.js';
import type { Clock } from '../clock.js';
import { requires, type RouteTable } from '../http/route-table.js';
import { settingsBody } from './schemas.js';
import { readSettings, writeSettings } from './settings-store.js';

/** The tenant's own settings: idle limit, password profile, retention, second-factor requirement. */
export function settingsRoutes(routes: RouteTable, clock: Clock): void {
  routes.guarded('get', '/settings', requires('settings', 'read'), async (ctx) => ({ body: await readSettings(ctx.trx, ctx.tenantId) }));
  routes.guarded('patch', '/settings', requires('settings', 'write'), async (ctx, req) => {
    const patch = settingsBody.parse(req.body);
    const settings = await writeSettings(ctx.trx, ctx.tenantId, patch, clock.now());
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'settings.changed', details: { fields: Object.keys(patch).join(',') },
      requestId: ctx.requestId, ip: ctx.ip,
    }, clock.now());
    return { body: settings };
  });
}
