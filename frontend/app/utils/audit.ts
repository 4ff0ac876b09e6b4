import type ApiService from 'frontend/services/api';

export type AuditKind = 'events' | 'logins';

export interface AuditRow {
  id: number;
  at: string;
  type?: string;
  actorEmail?: string | null;
  subjectType?: string | null;
  subjectId?: string | null;
  /** The container's name or the user's email (the server's, from this bank only). */
  subjectName?: string | null;
  details?: Record<string, unknown>;
  outcome?: string;
  reason?: string;
  userEmail?: string | null;
  ip?: string | null;
}

export interface AuditPage {
  items: AuditRow[];
  total: number;
}

export interface AuditQuery {
  page: number;
  type?: string;
  userId?: string;
  /** Local days (yyyy-mm-dd) as the date inputs give them. */
  from?: string;
  to?: string;
}

export interface ChainReport {
  chain: string;
  kind: 'audit' | 'login';
  rows: number;
  ok: boolean;
  firstBroken: { seq: number; id: string; reason: string } | null;
  checkpoint?: { seq: number; at: string } | null;
}
export interface ChainVerification {
  ok: boolean;
  chains: ChainReport[];
}
export interface CheckpointSigning {
  publicKey: string;
  keyId: string;
  latest: { chain: string; seq: number; at: string }[];
}
/** The integrity check as the route read it: `verification` null when the check could not run. */
export interface ChainModel {
  verification: ChainVerification | null;
  signing: CheckpointSigning | null;
}

export interface AuditModel {
  kind: AuditKind;
  first: AuditPage | null;
  users: { id: string; email: string }[];
  /** Only for the events page. */
  chain: ChainModel | null;
  error: unknown;
}

export const AUDIT_PAGE_SIZE = 50;
const DAY_MS = 86_400_000;

/** One page of the audit or sign-in records, filtered by the server. */
export function loadAuditPage(api: Pick<ApiService, 'get'>, kind: AuditKind, q: AuditQuery): Promise<AuditPage> {
  const params = new URLSearchParams({ page: String(q.page), pageSize: String(AUDIT_PAGE_SIZE) });
  if (q.type && kind === 'events') params.set('type', q.type);
  if (q.userId) params.set('userId', q.userId);
  // Date inputs give local days; the API takes instants: from the start of `from` to the end of `to`.
  if (q.from) params.set('from', new Date(`${q.from}T00:00:00`).toISOString());
  if (q.to) params.set('to', new Date(new Date(`${q.to}T00:00:00`).getTime() + DAY_MS).toISOString());
  return api.get<AuditPage>(`/audit/${kind}?${params}`);
}

/** What an audit page opens with: its first page, the users to filter by, and for events the chains' state. */
export async function loadAudit(api: Pick<ApiService, 'get'>, kind: AuditKind): Promise<AuditModel> {
  const users = api.get<{ id: string; email: string }[]>('/users?includeDeleted=true').catch(() => []);
  const chain: Promise<ChainModel | null> = kind === 'events'
    ? Promise.all([
      api.get<ChainVerification>('/audit/verify').catch(() => null),
      api.get<CheckpointSigning>('/audit/checkpoints').catch(() => null),
    ]).then(([verification, signing]) => ({ verification, signing }))
    : Promise.resolve(null);
  const [first, error] = await loadAuditPage(api, kind, { page: 1 }).then((p) => [p, null] as const, (err: unknown) => [null, err] as const);
  return { kind, first, users: await users, chain: await chain, error };
}
