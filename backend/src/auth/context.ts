import type { Knex } from 'knex';
import type { HttpError } from '../http/errors.js';

/** Built once per request by the guard; services take it first and never read `req` (STYLE §2). */
export interface RequestContext {
  requestId: string;
  sessionId: string;
  userId: string;
  tenantId: string;
  isVendorTenant: boolean;
  /** This session passed the second factor. */
  mfaVerified: boolean;
  rights: ReadonlySet<string>;
  modules: ReadonlySet<string>;
  ip: string | undefined;
  userAgent: string | undefined;
  trx: Knex.Transaction;
  /** Runs `work` once the request's transaction has committed (starting a background job on its rows). */
  afterCommit(work: () => void): void;
  /** Set while an approved four-eyes change is applied (as its proposer): it is not put to approval again. */
  applyingApproval?: string;
}

/**
 * Thrown by a service when the request is refused but what it wrote on the way (a counted failed
 * attempt, its audit record) must stay: the guard commits the request's transaction, then answers
 * with `error`. Any other error rolls the transaction back.
 */
export class RefusalToKeep extends Error {
  constructor(readonly error: HttpError) {
    super(error.message);
  }
}
