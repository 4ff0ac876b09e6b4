import type { FourEyes, Pending } from '../approvals/four-eyes.js';
import { recordAudit } from '../audit/audit-store.js';
import type { RequestContext } from '../auth/context.js';
import type { Clock } from '../clock.js';
import { readSettings, writeSettings, type SettingsPatch, type TenantSettingsView } from './settings-store.js';

/**
 * The tenant's own settings: idle limit, password profile, retention, second-factor requirement,
 * four-eyes, recertification. Every setting here is a security setting: under four-eyes a change
 * waits for a second admin.
 */
export class SettingsService {
  constructor(private readonly d: { clock: Clock; fourEyes: FourEyes }) {
    d.fourEyes.register('settings.change', (ctx, patch: SettingsPatch) => this.change(ctx, patch));
  }

  /** `fourEyesInEffect`: false while nobody else could approve (the page says changes apply at once). */
  async read(ctx: RequestContext): Promise<TenantSettingsView & { fourEyesInEffect: boolean }> {
    return { ...(await readSettings(ctx.trx, ctx.tenantId)), fourEyesInEffect: await this.d.fourEyes.inEffect(ctx, 'settings:write') };
  }

  async change(ctx: RequestContext, patch: SettingsPatch & { reason?: string | undefined }): Promise<TenantSettingsView | Pending> {
    const { reason: why, ...change } = patch;
    const before = await readSettings(ctx.trx, ctx.tenantId);
    const fields = Object.keys(change).filter((k) => change[k as keyof SettingsPatch] !== before[k as keyof TenantSettingsView]);
    if (fields.length) {
      const pending = await this.d.fourEyes.propose(ctx, {
        kind: 'settings.change', right: 'settings:write', reason: why, payload: change,
        summary: { changes: Object.fromEntries(fields.map((k) => [k, { from: before[k as keyof TenantSettingsView], to: change[k as keyof SettingsPatch] }])) },
      });
      if (pending) return pending;
    }
    const settings = await writeSettings(ctx.trx, ctx.tenantId, change, this.d.clock.now());
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'settings.changed', details: { fields: Object.keys(change).join(',') },
      requestId: ctx.requestId, ip: ctx.ip,
    }, this.d.clock.now());
    return settings;
  }
}
