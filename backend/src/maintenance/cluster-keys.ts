import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { DatabaseSetupError } from '../db/database.js';
import { liveInstancesWithOtherKeys } from '../jobs/jobs-store.js';

/** The keys every instance of one cluster must share (docs/scaling.md). */
export interface ClusterKeys {
  sessionSecret: string;
  loginEventKey: string;
  totpKey: string;
  /** The checkpoint signing key's id (a hash of its public key). */
  signingKeyId: string;
}

/** A hash of the keys' hashes: tells two key sets apart, reveals none of them. */
export function clusterKeyFingerprint(k: ClusterKeys): string {
  const h = (s: string) => createHash('sha256').update(s).digest('hex');
  return h(['kontor-cluster-keys/1', h(k.sessionSecret), h(k.loginEventKey), h(k.totpKey), k.signingKeyId].join('\n')).slice(0, 32);
}

export class ClusterKeysDiffer extends DatabaseSetupError {
  constructor(readonly others: number) {
    super(
      `Refusing to start: ${others} running instance(s) on this database use other cluster keys (SESSION_SECRET, LOGIN_EVENT_KEY, TOTP_KEY or the checkpoint signing key). ` +
        'Give this instance the same ones: `npm run kontor -- cluster-env FILE` on the first instance writes them (docs/scaling.md, "A second instance").',
    );
    this.name = 'ClusterKeysDiffer';
  }
}

/** Throws ClusterKeysDiffer when an instance with a fresh heartbeat (30 s) runs with other keys. */
export async function refuseOtherClusterKeys(db: Knex, fingerprint: string): Promise<void> {
  const others = await liveInstancesWithOtherKeys(db, fingerprint, 30);
  if (others > 0) throw new ClusterKeysDiffer(others);
}
