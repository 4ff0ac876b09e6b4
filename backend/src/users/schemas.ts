import { z } from 'zod';
import { reason } from '../approvals/schemas.js';

const name = z.string().trim().min(1, 'is required').max(200);
const roleIds = z.array(z.string().uuid('must be role ids')).max(20);

export const inviteBody = z.object({ email: z.string().trim().max(254).email('must be an email address'), name, roleIds, reason });
export const patchBody = z
  .object({ name: name.optional(), roleIds: roleIds.optional(), locked: z.boolean().optional(), reason })
  .strict()
  .refine((b) => Object.keys(b).some((k) => k !== 'reason'), 'needs at least one of name, roleIds, locked');
export const listQuery = z.object({ includeDeleted: z.enum(['true', 'false']).optional() });
