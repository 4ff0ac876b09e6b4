import { z } from 'zod';
import { reason } from '../approvals/schemas.js';

const name = z.string().trim().min(1, 'is required').max(200);
const roleIds = z.array(z.string().uuid('must be role ids')).max(20);
const departmentIds = z.array(z.string().uuid('must be department ids')).max(50);

export const inviteBody = z.object({ email: z.string().trim().max(254).email('must be an email address'), name, roleIds, departmentIds: departmentIds.optional(), reason });
export const patchBody = z
  .object({ name: name.optional(), roleIds: roleIds.optional(), departmentIds: departmentIds.optional(), locked: z.boolean().optional(), reason })
  .strict()
  .refine((b) => Object.keys(b).some((k) => k !== 'reason'), { message: 'needs at least one of name, roleIds, departmentIds, locked', params: { reason: 'empty_patch' } });
export const listQuery = z.object({ includeDeleted: z.enum(['true', 'false']).optional() });
