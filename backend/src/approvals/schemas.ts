import { z } from 'zod';

/** Why a change is proposed: required when it goes to a second admin, ignored otherwise. */
export const reason = z.string().trim().min(3, 'must be at least 3 characters').max(500).optional();
export const reasonBody = z.object({ reason }).strict();
export const decisionBody = z.object({ note: z.string().trim().max(500).optional() }).strict();
