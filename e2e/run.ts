/**
 * End-to-end run: the real compiled server on an embedded PostgreSQL, real nginx in front with the
 * repository's production server config over TLS (a throw-away self-signed certificate), and the
 * tests in tests/ driving Debian's Chromium through nginx.
 * Expects `npm run build` to have run (the root test command does it).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMailDrop } from './lib/mail-drop.js';
import { renderLocalConfig, selfSignedCertificate } from './lib/nginx.js';
import { freePort } from '../backend/src/net/free-port.js';
import { startProcess, stopProcess, waitForHttp } from './lib/processes.js';

/** Spec output for people; the root test runner adds its machine-readable reporter (KONTOR_TEST_REPORTERS, JSON). */
function reporters(): string[] {
  return process.env.KONTOR_TEST_REPORTERS ? (JSON.parse(process.env.KONTOR_TEST_REPORTERS) as string[]) : ['--test-reporter=spec'];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const serverMain = path.join(repoRoot, 'backend/dist/backend/src/main.js');
const staticRoot = path.join(repoRoot, 'frontend/dist');
for (const needed of [serverMain, path.join(staticRoot, 'index.html')]) {
  if (!fs.existsSync(needed)) {
    process.stderr.write(`Missing ${needed}: run "npm run build" first.\n`);
    process.exit(1);
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-e2e-'));
fs.chmodSync(work, 0o755);
const home = path.join(work, 'home');
const nginxPrefix = path.join(work, 'nginx');
fs.mkdirSync(nginxPrefix, { mode: 0o755 });

const mailDir = path.join(work, 'mail');
const mailDrop = await startMailDrop(mailDir);
const apiPort = await freePort();
const pgPort = await freePort();
const webPort = await freePort();
const plainPort = await freePort();
const tls = selfSignedCertificate(nginxPrefix);
const webBase = `https://127.0.0.1:${webPort}`;
// The address users type: a host name, since a WebAuthn relying party id cannot be an IP address;
// it also fixes the OIDC redirect URI. The other suites browse by address (same server, same nginx).
const publicUrl = `https://localhost:${webPort}`;
const serverEnv = {
  ...process.env,
  PORT: String(apiPort),
  KONTOR_HOME: home,
  KONTOR_PG_PORT: String(pgPort),
  LOG_LEVEL: 'warn',
  // nginx is in front, as in production: it alone sends the security headers.
  SECURITY_HEADERS: 'proxy',
  DATABASE_URL: '',
  DATABASE_OWNER_URL: '',
  SMTP_URL: mailDrop.url,
  PUBLIC_URL: publicUrl,
  // The e2e OpenID Provider serves with the run's throw-away certificate: the server trusts it, and only it.
  NODE_EXTRA_CA_CERTS: tls.cert,
  KONTOR_ADMIN_EMAIL: 'admin@kontor.example',
  // Every e2e browser signs in from 127.0.0.1: the per-address limits would trip across suites.
  LOGIN_ATTEMPTS_PER_MINUTE: '1000',
  RECOVERY_REQUESTS_PER_10_MINUTES: '1000',
};
const server = startProcess(process.execPath, [serverMain], serverEnv, 'server');
let nginx: ReturnType<typeof startProcess> | undefined;
let code = 1;
try {
  await waitForHttp(`http://127.0.0.1:${apiPort}/api/health`);
  const conf = renderLocalConfig({ repoRoot, prefix: nginxPrefix, httpPort: plainPort, httpsPort: webPort, apiUpstream: `127.0.0.1:${apiPort}`, staticRoot, tls });
  nginx = startProcess('nginx', ['-c', conf, '-p', nginxPrefix, '-g', 'daemon off;'], process.env, 'nginx');
  await waitForHttp(`http://127.0.0.1:${plainPort}/`);

  const files = fs.readdirSync(path.join(here, 'tests')).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join(here, 'tests', f));
  const filter = process.argv.slice(2);
  const selected = files.filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)));
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', ...reporters(), '--test-concurrency=1', ...selected], {
    stdio: 'inherit',
    env: {
      ...process.env, E2E_BASE_URL: webBase, E2E_PLAIN_URL: `http://127.0.0.1:${plainPort}`, E2E_API_URL: `http://127.0.0.1:${apiPort}`, E2E_KONTOR_HOME: home, E2E_MAIL_DIR: mailDir,
      E2E_PUBLIC_URL: publicUrl, E2E_TLS_CERT: tls.cert, E2E_TLS_KEY: tls.key,
      // Node's fetch in the tests trusts the throw-away certificate, and only it.
      NODE_EXTRA_CA_CERTS: tls.cert,
      // What an operator command needs to reach this instance (it attaches to the running cluster).
      E2E_CLI_ENV: JSON.stringify({ PORT: String(apiPort), KONTOR_HOME: home, KONTOR_PG_PORT: String(pgPort), SMTP_URL: mailDrop.url, PUBLIC_URL: publicUrl }),
    },
  });
  code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
} finally {
  if (nginx) await stopProcess(nginx, 'SIGQUIT');
  await stopProcess(server, 'SIGTERM');
  await mailDrop.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(code);
