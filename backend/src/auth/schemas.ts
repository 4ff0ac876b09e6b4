import { z } from 'zod';
import { MAX_PASSWORD_LENGTH } from './password-policy.js';

/**
 * Sign-in and recovery take any address of the shape local@host: accounts may exist on hosts
 * without a public TLD (the first superadmin's default is admin@localhost), and these routes only
 * look an account up. Creating users keeps the strict check (tenancy/schemas.ts).
 */
const email = z.string().trim().min(3).max(254).regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address');
const password = z.string().min(1, 'is required').max(MAX_PASSWORD_LENGTH, `may have at most ${MAX_PASSWORD_LENGTH} characters`);

export const loginBody = z.object({ email, password });
export const passwordChangeBody = z.object({ currentPassword: password, newPassword: password });
export const recoveryBody = z.object({ email });
export const recoveryConfirmBody = z.object({
  email,
  code: z.string().trim().regex(/^\d{8}$/, 'must be the 8-digit code from the mail'),
  newPassword: password,
});
const invitationToken = z.string().min(20, 'is not a complete link').max(200).regex(/^[\w-]+$/, 'is not a link from Kontor');
export const invitationBody = z.object({ token: invitationToken, newPassword: password });
export const invitationCheckBody = z.object({ token: invitationToken });

/** Exactly one of: the 6-digit code from the app, or a recovery code. */
export const secondFactorBody = z.object({
  code: z.string().regex(/^\d{6}$/, 'must be the 6 digits from your app').optional(),
  recoveryCode: z.string().trim().min(10).max(40).optional(),
}).strict().refine((b) => (b.code === undefined) !== (b.recoveryCode === undefined), { message: 'send either code or recoveryCode', path: ['code'], params: { reason: 'code_or_recovery_code' } });

export const totpConfirmBody = z.object({ code: z.string().regex(/^\d{6}$/, 'must be the 6 digits from your app') }).strict();

/** The own profile: only the language, 'de' or 'en', or null to fall back to the browser's. */
export const profileBody = z.object({ locale: z.enum(['de', 'en']).nullable() }).strict();
