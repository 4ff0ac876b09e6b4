/* `npm run kontor -- cluster-env FILE`: what a second instance needs to join this one. */
import fs from 'node:fs';
import path from 'node:path';
import { CHECKPOINT_KEY_FILE, loadOrCreateSigningKey } from '../audit/checkpoint-key.js';
import { loadConfig } from '../config.js';
import { credentialsUrl } from '../db/database.js';
import { DATABASE_NAME, EMBEDDED_API_LOGIN, RETENTION_ROLE } from '../db/roles.js';
import { ensureHome, loadOrCreateSecrets } from '../secrets.js';
import { say } from './output.js';

/** Plain where the shell and docker's --env-file read it the same; single-quoted otherwise. */
function envValue(value: string): string {
  return /^[A-Za-z0-9_@:/.%+=,-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * The settings that make another instance (own PORT and KONTOR_HOME) a member of this one's
 * cluster: the same database (this instance's embedded PostgreSQL, or its DATABASE_URL and, behind
 * PgBouncer, DATABASE_DIRECT_URL), the same
 * session, sign-in event and second-factor keys, the same checkpoint key and directory. Written
 * mode 0600 and never over an existing file; nothing is printed but the path.
 */
export function writeClusterEnv(file: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const config = loadConfig(env);
  ensureHome(config.home);
  const secrets = loadOrCreateSecrets(config.home);
  const keyFile = config.auditSigningKeyFile ?? path.join(config.home, CHECKPOINT_KEY_FILE);
  loadOrCreateSigningKey(config.home, config.auditSigningKeyFile);
  const db = config.database.kind === 'embedded'
    ? {
        api: credentialsUrl('127.0.0.1', config.database.port, EMBEDDED_API_LOGIN, secrets.pgApiPassword),
        retention: credentialsUrl('127.0.0.1', config.database.port, RETENTION_ROLE, secrets.pgRetentionPassword),
        direct: undefined,
      }
    : { api: config.database.apiUrl, retention: config.database.retentionUrl, direct: config.database.directUrl };
  const vars: [string, string | undefined][] = [
    ['DATABASE_URL', db.api],
    ['DATABASE_DIRECT_URL', db.direct],
    ['DATABASE_RETENTION_URL', db.retention],
    ['SESSION_SECRET', config.sessionSecret ?? secrets.sessionSecret],
    ['LOGIN_EVENT_KEY', config.loginEventKey ?? secrets.loginEventKey],
    ['TOTP_KEY', config.totpKey ?? secrets.totpKey],
    ['AUDIT_SIGNING_KEY_FILE', keyFile],
    ['AUDIT_CHECKPOINT_DIR', config.auditCheckpointDir],
  ];
  const lines = [
    `# Kontor cluster settings of ${DATABASE_NAME} (written by \`npm run kontor -- cluster-env\`). Secret: keep it 0600.`,
    '# A joining instance also needs its own PORT and KONTOR_HOME; migrations stay with this instance.',
    ...vars.filter((v): v is [string, string] => v[1] !== undefined).map(([k, v]) => `${k}=${envValue(v)}`),
  ];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
  return vars.filter((v) => v[1] !== undefined).map(([k]) => k);
}

export const clusterEnvCommands = {
  'cluster-env': {
    usage: 'cluster-env FILE',
    summary: 'Write the settings a second instance (own PORT and KONTOR_HOME) needs to join this one: database URL and the shared keys (mode 0600, never overwrites). Then: set -a; . FILE; set +a; KONTOR_HOME=… PORT=… npm start.',
    async run(args: string[]) {
      const file = args[0];
      if (args.length !== 1 || !file || file.startsWith('--')) throw new Error('usage: cluster-env FILE');
      const target = path.resolve(file);
      if (fs.existsSync(target)) throw new Error(`${target} exists already; choose a new file name.`);
      const names = writeClusterEnv(target);
      say(`Wrote ${names.join(', ')} to ${target} (mode 0600).`);
      await Promise.resolve();
    },
  },
};
