import { z } from 'zod';

export const newAccessRequestBody = z.object({
  tenantId: z.string().uuid('must be a tenant id'),
  reason: z.string().trim().min(10, 'must be at least 10 characters').max(500, 'must be at most 500 characters'),
  ticket: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
  minutes: z.number().int('must be whole minutes').min(15, 'must be at least 15').max(480, 'must be at most 480 (8 hours)'),
  emergency: z.boolean().optional(),
}).strict();

