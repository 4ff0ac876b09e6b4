import type { Knex } from 'knex';

export interface AuditEvent {
  tenantId: string;
  actorUserId: string | null;
  type: string;
  level?: 'info' | 'error';
  subjectType?: string;
  subjectId?: string;
  /** Ids and counts only: never cell contents, passwords or raw input. */
  details?: Record<string, string | number | boolean | null>;
  requestId?: string;
  ip?: string | undefined;
}

/** Writes inside the caller's transaction, so an action and its audit row commit together. */
export async function recordAudit(trx: Knex.Transaction, event: AuditEvent, at: Date): Promise<void> {
  await trx('audit_events').insert({
    tenant_id: event.tenantId,
    actor_user_id: event.actorUserId,
    type: event.type,
    level: event.level ?? 'info',
    subject_type: event.subjectType ?? null,
    subject_id: event.subjectId ?? null,
    details: JSON.stringify(event.details ?? {}),
    request_id: event.requestId ?? null,
    ip: event.ip ?? null,
    created_at: at,
  });
}
