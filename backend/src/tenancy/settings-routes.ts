import { changeResult } from '../approvals/routes.js';
import { reason } from '../approvals/schemas.js';
import type { FourEyes, Pending } from '../approvals/four-eyes.js';
import { recordAudit } from '../audit/audit-store.js';
import type { RequestContext } from '../auth/context.js';
import type { Clock } from '../clock.js';
import { requires, type RouteTable } from '../http/route-table.js';
import { settingsBody } from './schemas.js';
import { readSettings, writeSettings, type SettingsPatch, type TenantSettingsView } from './settings-store.js';

/**
 * Every setting here is a security setting (password policy, limits, second factor, retention,
 * four-eyes itself, recertification): under four-eyes a change waits for a second admin.
 */
export async function changeSettings(ctx: RequestContext, d: { clock: Clock; fourEyes: FourEyes }, patch: SettingsPatch & { reason?: string | undefined }): Promise<TenantSettingsView | Pending> {
  const { reason: why, ...change } = patch;
  const before = await readSettings(ctx.trx, ctx.tenantId);
  const fields = Object.keys(change).filter((k) => change[k as keyof SettingsPatch] !== before[k as keyof TenantSettingsView]);
  if (fields.length) {
    const pending = await d.fourEyes.propose(ctx, {
      kind: 'settings.change', right: 'settings:write', reason: why, payload: change,
      summary: { changes: Object.fromEntries(fields.map((k) => [k, { from: before[k as keyof TenantSettingsView], to: change[k as keyof SettingsPatch] }])) },
    });
    if (pending) return pending;
  }
  const settings = await writeSettings(ctx.trx, ctx.tenantId, change, d.clock.now());
  await recordAudit(ctx.trx, {
    tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'settings.changed', details: { fields: Object.keys(change).join(',') },
    requestId: ctx.requestId, ip: ctx.ip,
  }, d.clock.now());
  return settings;
}

/** The tenant's own settings: idle limit, password profile, retention, second-factor requirement, four-eyes. */
export function settingsRoutes(routes: RouteTable, clock: Clock, fourEyes: FourEyes): void {
  fourEyes.register('settings.change', (ctx, patch: SettingsPatch) => changeSettings(ctx, { clock, fourEyes }, patch));
  // `fourEyesInEffect`: false while nobody else could approve (the page says changes apply at once).
  routes.guarded('get', '/settings', requires('settings', 'read'), async (ctx) => ({
    body: { ...(await readSettings(ctx.trx, ctx.tenantId)), fourEyesInEffect: await fourEyes.inEffect(ctx, 'settings:write') },
  }));
  routes.guarded('patch', '/settings', requires('settings', 'write'), async (ctx, req) => {
    const patch = settingsBody.extend({ reason }).parse(req.body);
    return changeResult(await changeSettings(ctx, { clock, fourEyes }, patch));
  });
}
