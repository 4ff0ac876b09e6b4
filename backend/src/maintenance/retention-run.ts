import type { Knex } from 'knex';
import type { AuthService } from '../auth/auth-service.js';
import { purgeChainedRecords } from '../audit/chains.js';
import type { Clock } from '../clock.js';
import { expireApprovals } from '../approvals/four-eyes.js';
import { containerRetention } from '../containers/retention.js';
import { purgeUsedLogoutTokens } from '../directory/directory-service.js';
import { runRecertification } from '../recertification/recertification-service.js';
import { createKnex } from '../db/connection.js';
import type { Logger } from '../log/logger.js';
import type { Mailer } from '../mail/mailer.js';

export interface RetentionOutcome {
  sessions: number;
  auditEvents: number;
  loginEvents: number;
  containersDeleted: number;
  containersWarned: number;
  /** No retention role configured: old audit and sign-in records were left alone. */
  recordsSkipped: boolean;
  approvalsExpired: number;
  /** Back-channel logout token ids past their tokens' lifetime. */
  logoutTokens: number;
  recertification: { started: number; reminded: number; announced: number; deactivated: number };
}

/**
 * The daily retention run (server timer and `npm run kontor -- retention`). Audit events and
 * sign-in records are deleted as the separate retention role, never as the API role.
 */
export async function runRetention(d: { api: Knex; retentionUrl: string | undefined; auth: AuthService; clock: Clock; mailer: Mailer; logger: Logger }): Promise<RetentionOutcome> {
  const { sessions } = await d.auth.purge();
  const containers = await containerRetention({ db: d.api, clock: d.clock, mailer: d.mailer, logger: d.logger });
  // Four-eyes expiry and recertification (issue 17) ride on the same daily run.
  const approvalsExpired = await expireApprovals({ db: d.api, clock: d.clock, logger: d.logger });
  const recertification = await runRecertification({ db: d.api, clock: d.clock, mailer: d.mailer, logger: d.logger });
  const { logoutTokens } = await purgeUsedLogoutTokens({ db: d.api }, d.clock.now());
  let records = { auditEvents: 0, loginEvents: 0 };
  if (d.retentionUrl) {
    const retention = createKnex(d.retentionUrl, 1);
    try {
      records = await purgeChainedRecords(retention, d.clock.now());
    } finally {
      await retention.destroy();
    }
  } else {
    d.logger.warn('retention of audit and sign-in records skipped: no DATABASE_RETENTION_URL');
  }
  return {
    sessions, ...records, containersDeleted: containers.deleted, containersWarned: containers.warned, recordsSkipped: !d.retentionUrl, approvalsExpired, logoutTokens, recertification,
  };
}
