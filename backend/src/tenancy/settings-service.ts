import type { FourEyes, Pending } from '../approvals/four-eyes.js';
import type { AccessService } from '../access/access-service.js';
import type { AccessMode } from '../access/access-store.js';
import { recordAudit } from '../audit/audit-store.js';
import type { RequestContext } from '../auth/context.js';
import type { Clock } from '../clock.js';
import { readSettings, writeSettings, type SettingsPatch, type TenantSettingsView } from './settings-store.js';

/** What the bank may change: its settings and its vendor access mode. */
type BankSettingsPatch = SettingsPatch & { accessMode?: AccessMode | undefined };

/**
 * The tenant's own settings: idle limit, password profile, retention, second-factor requirement,
 * four-eyes, recertification, vendor access mode. Every setting here is a security setting: under four-eyes a change
 * waits for a second admin.
 */
export class SettingsService {
  constructor(private readonly d: { clock: Clock; fourEyes: FourEyes; access: AccessService }) {
    d.fourEyes.register('settings.change', (ctx, patch: BankSettingsPatch) => this.change(ctx, patch));
  }

  /** `fourEyesInEffect`: false while nobody else could approve (the page says changes apply at once). */
  async read(ctx: RequestContext): Promise<TenantSettingsView & { fourEyesInEffect: boolean }> {
    return { ...(await readSettings(ctx.trx, ctx.tenantId)), fourEyesInEffect: await this.d.fourEyes.inEffect(ctx, 'settings:write') };
  }

  async change(ctx: RequestContext, patch: BankSettingsPatch & { reason?: string | undefined }): Promise<TenantSettingsView | Pending> {
    const { reason: why, ...change } = patch;
    const before = await readSettings(ctx.trx, ctx.tenantId);
    const fields = Object.keys(change).filter((k) => change[k as keyof BankSettingsPatch] !== before[k as keyof TenantSettingsView]);
    // Vendor staff inside the bank neither change nor propose the access mode.
    if (fields.includes('accessMode')) await this.d.access.assertMayChangeMode(ctx);
    if (fields.length) {
      const pending = await this.d.fourEyes.propose(ctx, {
        kind: 'settings.change', right: 'settings:write', reason: why, payload: change,
        summary: { changes: Object.fromEntries(fields.map((k) => [k, { from: before[k as keyof TenantSettingsView], to: change[k as keyof BankSettingsPatch] }])) },
      });
      if (pending) return pending;
    }
    const { accessMode, ...rest } = change;
    if (accessMode) await this.d.access.changeAccessMode(ctx, accessMode);
    const settings = await writeSettings(ctx.trx, ctx.tenantId, rest, this.d.clock.now());
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'settings.changed', details: { fields: Object.keys(change).join(',') },
      requestId: ctx.requestId, ip: ctx.ip,
    }, this.d.clock.now());
    return settings;
  }
}
