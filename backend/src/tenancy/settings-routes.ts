import { changeResult } from '../approvals/routes.js';
import { reason } from '../approvals/schemas.js';
import { requires, type RouteTable } from '../http/route-table.js';
import { bankSettingsBody } from './schemas.js';
import type { SettingsService } from './settings-service.js';

export function settingsRoutes(routes: RouteTable, settings: SettingsService): void {
  routes.guarded('get', '/settings', requires('settings', 'read'), async (ctx) => ({ body: await settings.read(ctx) }));
  routes.guarded('patch', '/settings', requires('settings', 'write'), async (ctx, req) => {
    // The bank's own patch: its settings and its vendor access mode (never in the vendor's tenant patch).
    const patch = bankSettingsBody.extend({ reason }).parse(req.body);
    return changeResult(await settings.change(ctx, patch));
  });
}
