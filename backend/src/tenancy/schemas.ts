import { z } from 'zod';
import { reason } from '../approvals/schemas.js';
import { MODULES } from './rights.js';
import { ACCESS_MODES } from '../access/access-store.js';

const name = z.string().trim().min(1, 'is required').max(200);
const email = z.string().trim().max(254).email('must be an email address');
const roleIds = z.array(z.string().uuid('must be role ids')).max(20);
const licence = z.object({
  module: z.enum(MODULES),
  validUntil: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').nullable().default(null),
});
const modules = z.array(licence).max(MODULES.length).refine((m) => new Set(m.map((x) => x.module)).size === m.length, { message: 'lists a module twice', params: { reason: 'duplicate_module' } });

export const createTenantBody = z.object({ name, modules: modules.default([]), admin: z.object({ email, name }) });
export const settingsBody = z.object({
  idleMinutes: z.number().int().min(1).max(120).optional(),
  absoluteHours: z.number().int().min(1).max(24).optional(),
  passwordProfile: z.enum(['standard', 'classic']).optional(),
  retentionDays: z.number().int().min(30).max(3650).optional(),
  mfaRequired: z.enum(['none', 'admins', 'all']).optional(),
  passkeyRequired: z.boolean().optional(),
  auditReviewMonths: z.number().int().min(6).max(120).optional(),
  fourEyes: z.boolean().optional(),
  inactiveDays: z.number().int().min(14).max(3650).optional(),
  recertAdminMonths: z.number().int().min(1).max(24).optional(),
  recertAllMonths: z.number().int().min(1).max(36).optional(),
}).strict();
/** What the bank itself may change: its settings and who from the vendor may come in (access mode). */
export const bankSettingsBody = settingsBody.extend({ accessMode: z.enum(ACCESS_MODES).optional() }).strict();
export const patchTenantBody = z.object({ name: name.optional(), modules: modules.optional(), active: z.boolean().optional(), settings: settingsBody.optional() }).strict();
export const createVendorUserBody = z.object({ email, name, roleIds, reason });
export const patchVendorUserBody = z.object({ roleIds, reason }).strict();
export const grantBody = z.object({ roleIds });
const right = z.string().regex(/^[a-z.]+:(read|write)$/, 'must look like area:read or area:write');
export const createRoleBody = z.object({ name, assignableInTenants: z.boolean().default(false), rights: z.array(right).max(40) });
export const patchRoleBody = z.object({ name: name.optional(), assignableInTenants: z.boolean().optional(), rights: z.array(right).max(40).optional() }).strict();
export const switchTenantBody = z.object({ tenantId: z.string().uuid('must be a tenant id') });

const period = z.string().datetime({ offset: true, message: 'must be an ISO date-time' }).optional();
const page = z.coerce.number().int().min(1).max(100_000).default(1);
const pageSize = z.coerce.number().int().min(1).max(200).default(50);
export const auditQuery = z.object({ userId: z.string().uuid().optional(), type: z.string().max(60).optional(), from: period, to: period, page, pageSize });
export const loginsQuery = z.object({ userId: z.string().uuid().optional(), outcome: z.enum(['success', 'failure']).optional(), from: period, to: period, page, pageSize });
