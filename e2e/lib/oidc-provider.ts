import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../backend/src/net/free-port.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface ProviderAccount {
  password: string;
  sub: string;
  claims: Record<string, unknown>;
}

/**
 * A bank's OpenID Provider (oidc-provider-server.mjs) in its own process on a free port, over HTTPS
 * with the run's throw-away certificate, which the Kontor server trusts. Accounts by login name.
 */
export async function startProvider(options: {
  clients: { client_id: string; client_secret: string; redirect_uris: string[]; backchannel_logout_uri?: string; backchannel_logout_session_required?: boolean }[];
  accounts: Record<string, ProviderAccount>;
}): Promise<{ issuer: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(here, 'oidc-provider-server.mjs'), String(port)], {
    env: {
      ...process.env,
      OIDC_TLS_CERT: process.env.E2E_TLS_CERT, OIDC_TLS_KEY: process.env.E2E_TLS_KEY,
      OIDC_CLIENTS: JSON.stringify(options.clients.map((c) => ({ ...c, grant_types: ['authorization_code'], response_types: ['code'] }))),
      OIDC_ACCOUNTS: JSON.stringify(options.accounts),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`oidc provider exited ${code}: ${errors}`)));
  });
  return {
    issuer,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
