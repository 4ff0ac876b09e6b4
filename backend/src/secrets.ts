import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface Secrets {
  sessionSecret: string;
  pgSuperPassword: string;
  pgOwnerPassword: string;
  pgApiPassword: string;
  pgRetentionPassword: string;
  loginEventKey: string;
  /** Encrypts TOTP seeds at rest (AES-256-GCM). */
  totpKey: string;
}

const KEYS: (keyof Secrets)[] = ['sessionSecret', 'pgSuperPassword', 'pgOwnerPassword', 'pgApiPassword', 'pgRetentionPassword', 'loginEventKey', 'totpKey'];

/**
 * $KONTOR_HOME is 0711, new or pre-existing: other users cannot list it, but the embedded
 * cluster's `postgres` system user (used when running as root) must traverse it to reach its
 * data directory.
 */
export function ensureHome(home: string): void {
  fs.mkdirSync(home, { recursive: true, mode: 0o711 });
  if ((fs.statSync(home).mode & 0o777) !== 0o711) fs.chmodSync(home, 0o711);
}

/**
 * Secrets generated at first start into $KONTOR_HOME/secrets.json (mode 0600).
 * Missing entries are added; existing ones are never changed (that would lock out the database).
 */
export function loadOrCreateSecrets(home: string): Secrets {
  ensureHome(home);
  const file = path.join(home, 'secrets.json');
  let stored: Partial<Secrets> = {};
  if (fs.existsSync(file)) stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Secrets>;
  let changed = false;
  for (const key of KEYS) {
    if (typeof stored[key] !== 'string' || stored[key].length < 32) {
      stored[key] = randomBytes(32).toString('hex');
      changed = true;
    }
  }
  if (changed) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(stored, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
  fs.chmodSync(file, 0o600);
  return stored as Secrets;
}
