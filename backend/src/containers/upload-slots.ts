import { fail } from '../http/error-catalogue.js';
export interface UploadLimits {
  /** Uploads one user may have in flight at once. */
  perUser: number;
  /** Uploads one bank may have in flight at once. */
  perBank: number;
  /** Free bytes the spool's file system keeps; below it no upload is accepted or grows. */
  spoolReserveBytes: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { perUser: 2, perBank: 4, spoolReserveBytes: 512 * 1024 ** 2 };

export const tooManyUploads = (whose: 'user' | 'bank', limit: number) => fail('too_many_uploads', { reason: whose, limit, headers: { 'Retry-After': '5' } });
export const insufficientStorage = () => fail('insufficient_storage');

/**
 * Uploads in flight in this process: one per container (the slot an import will take), and at
import { fail } from '../http/error-catalogue.js';
 * most `perUser` / `perBank` at once. Taken before the body is read, given back when the request
 * is answered (by then a started import's row has committed and holds the container itself).
 */
export class UploadSlots {
  private readonly containers = new Set<string>();
  private readonly users = new Map<string, number>();
  private readonly banks = new Map<string, number>();

  constructor(private readonly limits: UploadLimits) {}

  /** Takes a slot or throws; synchronous, so parallel requests cannot both pass. Returns its release. */
  take(who: { tenantId: string; userId: string; containerId: string }, busy: () => Error): () => void {
    const container = `${who.tenantId}/${who.containerId}`;
    if (this.containers.has(container)) throw busy();
    if ((this.users.get(who.userId) ?? 0) >= this.limits.perUser) throw tooManyUploads('user', this.limits.perUser);
    if ((this.banks.get(who.tenantId) ?? 0) >= this.limits.perBank) throw tooManyUploads('bank', this.limits.perBank);
    this.containers.add(container);
    bump(this.users, who.userId, 1);
    bump(this.banks, who.tenantId, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.containers.delete(container);
      bump(this.users, who.userId, -1);
      bump(this.banks, who.tenantId, -1);
    };
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}
