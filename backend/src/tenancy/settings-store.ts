import type { Knex } from 'knex';

export interface TenantSettingsView {
  idleMinutes: number;
  absoluteHours: number;
  passwordProfile: string;
  retentionDays: number;
  mfaRequired: string;
  /** A passkey (phishing-resistant) required: of the bank's admins; in the vendor tenant, of vendor staff. */
  passkeyRequired: boolean;
  /** Months the review records (customer-data access, rights, vendor switches, refusals) are kept. */
  auditReviewMonths: number;
  /** Vendor access (issue 17): changed only through AccessService.changeAccessMode. */
  accessMode: string;
  /** Four-eyes for privileged changes (issue 17). */
  fourEyes: boolean;
  /** Accounts without a sign-in for this many days are deactivated. */
  inactiveDays: number;
  /** Recertification schedule: admins every n months, everyone every m months. */
  recertAdminMonths: number;
  recertAllMonths: number;
}

export type SettingsPatch = Partial<Omit<TenantSettingsView, 'accessMode'>>;

const COLUMNS: Record<keyof TenantSettingsView, string> = {
  idleMinutes: 'idle_minutes', absoluteHours: 'absolute_hours', passwordProfile: 'password_profile',
  retentionDays: 'retention_days', mfaRequired: 'mfa_required', passkeyRequired: 'passkey_required', auditReviewMonths: 'audit_review_months', accessMode: 'access_mode',
  fourEyes: 'four_eyes', inactiveDays: 'inactive_days', recertAdminMonths: 'recert_admin_months', recertAllMonths: 'recert_all_months',
};

/** A tenant's settings row (created with defaults on first read), inside that tenant's transaction. */
export async function readSettings(trx: Knex.Transaction, tenantId: string): Promise<TenantSettingsView> {
  await trx('tenant_settings').insert({ tenant_id: tenantId }).onConflict('tenant_id').ignore();
  const s = (await trx('tenant_settings').where({ tenant_id: tenantId }).first()) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(COLUMNS).map(([k, c]) => [k, s[c]])) as unknown as TenantSettingsView;
}

export async function writeSettings(trx: Knex.Transaction, tenantId: string, patch: SettingsPatch, at: Date): Promise<TenantSettingsView> {
  await readSettings(trx, tenantId);
  const columns: Record<string, unknown> = { updated_at: at };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined && k !== 'accessMode') columns[COLUMNS[k as keyof TenantSettingsView]] = v;
  await trx('tenant_settings').where({ tenant_id: tenantId }).update(columns);
  return readSettings(trx, tenantId);
}
