import { changeResult } from '../approvals/routes.js';
import { reason } from '../approvals/schemas.js';
import type { FourEyes, Pending } from '../approvals/four-eyes.js';
import type { AccessService } from '../access/access-service.js';
import type { AccessMode } from '../access/access-store.js';
import { recordAudit } from '../audit/audit-store.js';
import type { RequestContext } from '../auth/context.js';
import type { Clock } from '../clock.js';
import { requires, type RouteTable } from '../http/route-table.js';
import { bankSettingsBody } from './schemas.js';
import { readSettings, writeSettings, type SettingsPatch, type TenantSettingsView } from './settings-store.js';

/** What the bank may change: its settings and its vendor access mode (never the vendor's tenant patch). */
type BankSettingsPatch = SettingsPatch & { accessMode?: AccessMode | undefined };

interface SettingsDeps {
  clock: Clock;
  fourEyes: FourEyes;
  access: AccessService;
}

/**
 * Every setting here is a security setting (password policy, limits, second factor, retention,
 * four-eyes itself, recertification, vendor access mode): under four-eyes a change waits for a second admin.
 */
export async function changeSettings(ctx: RequestContext, d: SettingsDeps, patch: BankSettingsPatch & { reason?: string | undefined }): Promise<TenantSettingsView | Pending> {
  const { reason: why, ...change } = patch;
  const before = await readSettings(ctx.trx, ctx.tenantId);
  const fields = Object.keys(change).filter((k) => change[k as keyof BankSettingsPatch] !== before[k as keyof TenantSettingsView]);
  // Vendor staff inside the bank neither change nor propose the access mode.
  if (fields.includes('accessMode')) await d.access.assertMayChangeMode(ctx);
  if (fields.length) {
    const pending = await d.fourEyes.propose(ctx, {
      kind: 'settings.change', right: 'settings:write', reason: why, payload: change,
      summary: { changes: Object.fromEntries(fields.map((k) => [k, { from: before[k as keyof TenantSettingsView], to: change[k as keyof BankSettingsPatch] }])) },
    });
    if (pending) return pending;
  }
  const { accessMode, ...rest } = change;
  if (accessMode) await d.access.changeAccessMode(ctx, accessMode);
  const settings = await writeSettings(ctx.trx, ctx.tenantId, rest, d.clock.now());
  await recordAudit(ctx.trx, {
    tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'settings.changed', details: { fields: Object.keys(change).join(',') },
    requestId: ctx.requestId, ip: ctx.ip,
  }, d.clock.now());
  return settings;
}

/** The tenant's own settings: idle limit, password profile, retention, second-factor requirement, four-eyes, vendor access. */
export function settingsRoutes(routes: RouteTable, clock: Clock, fourEyes: FourEyes, access: AccessService): void {
  const d = { clock, fourEyes, access };
  fourEyes.register('settings.change', (ctx, patch: BankSettingsPatch) => changeSettings(ctx, d, patch));
  // `fourEyesInEffect`: false while nobody else could approve (the page says changes apply at once).
  routes.guarded('get', '/settings', requires('settings', 'read'), async (ctx) => ({
    body: { ...(await readSettings(ctx.trx, ctx.tenantId)), fourEyesInEffect: await fourEyes.inEffect(ctx, 'settings:write') },
  }));
  routes.guarded('patch', '/settings', requires('settings', 'write'), async (ctx, req) => {
    const patch = bankSettingsBody.extend({ reason }).parse(req.body);
    return changeResult(await changeSettings(ctx, d, patch));
  });
}
