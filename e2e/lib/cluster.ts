/**
 * Several compiled API instances of one cluster (one database, the same keys; each its own PORT and
 * KONTOR_HOME) behind the real nginx upstream of nginx/templates/kontor.conf.template. Shared by the
 * multi-instance e2e suite and bench/multi-instance.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { PasswordHasher } from '../../backend/src/auth/password-hasher.js';
import { inTenant } from '../../backend/src/db/tenant-transaction.js';
import { DEFAULT_DEPARTMENT_NAME } from '../../backend/src/departments/departments-store.js';
import { freePort } from '../../backend/src/net/free-port.js';
import { renderLocalConfig } from './nginx.js';
import { startProcess, stopProcess, waitForHttp } from './processes.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const serverMain = path.join(repoRoot, 'backend/dist/backend/src/main.js');

/** nginx leaves a failed instance out for this long (`fail_timeout` in the template). */
export const NGINX_FAIL_TIMEOUT_MS = 10_000;

/** What makes instances one cluster: the database (API, owner, retention logins) and the shared keys. */
export interface ClusterSettings {
  databaseUrl: string;
  ownerUrl: string;
  retentionUrl: string;
  sessionSecret: string;
  loginEventKey: string;
  totpKey: string;
  signingKeyFile: string;
  /** Further settings of every instance (LOG_LEVEL, SMTP_URL, limits …). */
  env?: Record<string, string>;
}

export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One compiled API instance of the cluster. */
export class ClusterInstance {
  child: ChildProcess | undefined;

  constructor(readonly name: string, readonly port: number, readonly home: string, private readonly settings: ClusterSettings) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  env(): NodeJS.ProcessEnv {
    const s = this.settings;
    return {
      ...process.env,
      PORT: String(this.port),
      KONTOR_HOME: this.home,
      DATABASE_URL: s.databaseUrl,
      DATABASE_OWNER_URL: s.ownerUrl,
      DATABASE_RETENTION_URL: s.retentionUrl,
      SESSION_SECRET: s.sessionSecret,
      LOGIN_EVENT_KEY: s.loginEventKey,
      TOTP_KEY: s.totpKey,
      AUDIT_SIGNING_KEY_FILE: s.signingKeyFile,
      // nginx is in front: it alone sends the security headers.
      SECURITY_HEADERS: 'proxy',
      LOG_LEVEL: 'warn',
      ...s.env,
    };
  }

  /** Starts the compiled server and waits until `/api/health` answers 200 (the check before the next step of a rolling restart). */
  async start(): Promise<void> {
    this.child = startProcess(process.execPath, [serverMain], this.env(), this.name);
    await until(`${this.name} to be healthy`, async () => {
      if (this.child?.exitCode !== null) throw new Error(`${this.name} exited with ${this.child?.exitCode}`);
      return (await fetch(`${this.url}/api/health`).catch(() => undefined))?.status === 200;
    });
  }

  /** How the last stop went: the exit code or signal, and how long it took (a stop that hangs is SIGKILLed after 15 s). */
  lastStop: { exit: string; ms: number } | undefined;

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const t0 = Date.now();
    await stopProcess(child, signal);
    this.lastStop = { exit: child.signalCode ?? `exit ${child.exitCode}`, ms: Date.now() - t0 };
    this.child = undefined;
  }
}

/** Instances with free ports and their own homes under `work` (not started). */
export async function clusterInstances(work: string, names: string[], settings: ClusterSettings): Promise<ClusterInstance[]> {
  const instances: ClusterInstance[] = [];
  for (const name of names) {
    const home = path.join(work, name);
    fs.mkdirSync(home, { mode: 0o700 });
    instances.push(new ClusterInstance(name, await freePort(), home, settings));
  }
  return instances;
}

/**
 * nginx in the foreground with the production server blocks, TLS on a free port, and the given
 * instances as its upstream (one instance: the same server twice, as a single-instance install).
 */
export async function startUpstreamNginx(options: { prefix: string; instances: ClusterInstance[]; tls: { cert: string; key: string }; staticRoot: string }): Promise<{ base: string; stop(): Promise<void> }> {
  fs.mkdirSync(options.prefix, { recursive: true, mode: 0o755 });
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const [first, second] = options.instances;
  const conf = renderLocalConfig({
    repoRoot, prefix: options.prefix, httpPort, httpsPort, tls: options.tls, staticRoot: options.staticRoot,
    apiUpstream: `127.0.0.1:${first.port}`, apiUpstream2: second ? `127.0.0.1:${second.port}` : undefined,
  });
  const nginx = startProcess('nginx', ['-c', conf, '-p', options.prefix, '-g', 'daemon off;'], process.env, 'nginx');
  const base = `https://127.0.0.1:${httpsPort}`;
  await waitForHttp(`${base}/api/health`);
  return { base, stop: () => stopProcess(nginx, 'SIGQUIT') };
}

/** A bank with the segmentation module and an analyst with a password only, in its Gesamthaus, written as the owner. */
export async function createAnalyst(owner: Knex): Promise<{ tenantId: string; email: string; password: string }> {
  const [t] = await owner('tenants').insert({ name: `Sparkasse Cluster ${randomBytes(3).toString('hex')}` }).returning('id');
  const tenantId = (t as { id: string }).id;
  await owner('tenant_modules').insert([{ tenant_id: tenantId, module: 'segmentation' }]);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex select generics do not narrow this row shape
  const analyst = (await owner('roles').where({ key: 'analyst' }).first('id')) as { id: string };
  await inTenant(owner, tenantId, (trx) => trx('tenant_settings').insert({ tenant_id: tenantId }));
  const email = `cluster-${randomBytes(4).toString('hex')}@cluster.example`;
  const password = `Pw-${randomBytes(12).toString('base64url')}`;
  const [u] = await owner('users').insert({ tenant_id: tenantId, email, name: 'Cluster Analyst' }).returning('id');
  const id = (u as { id: string }).id;
  await owner('password_credentials').insert({ user_id: id, hash: await new PasswordHasher(1).hash(password) });
  await inTenant(owner, tenantId, async (trx) => {
    await trx('memberships').insert({ tenant_id: tenantId, user_id: id });
    await trx('membership_roles').insert({ tenant_id: tenantId, user_id: id, role_id: analyst.id });
    // Every bank has its Gesamthaus, and its analyst works in it (issue 18).
    const [d] = await trx('departments').insert({ tenant_id: tenantId, name: DEFAULT_DEPARTMENT_NAME }).returning('id');
    await trx('membership_departments').insert({ tenant_id: tenantId, user_id: id, department_id: (d as { id: string }).id });
  });
  return { tenantId, email, password };
}

/** Signs in through nginx and returns the session cookie; waits out a throttle window others may have filled from this address. */
export async function signInThrough(base: string, { email, password }: { email: string; password: string }): Promise<string> {
  const deadline = Date.now() + 150_000;
  for (;;) {
    const res = await fetch(`${base}/api/auth/login`, {
      method: 'POST', headers: { origin: base, 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
    });
    await res.text();
    if (res.status === 200) {
      const session = res.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('__Host-kontor_session='));
      assert.ok(session, 'a session cookie');
      return session;
    }
    assert.equal(res.status, 429, `sign-in answered ${res.status}`);
    if (Date.now() > deadline) throw new Error('still throttled');
    await new Promise((r) => setTimeout(r, 1000 * Math.min(10, Number(res.headers.get('retry-after') ?? 1))));
  }
}

/** What the retrying clients saw: answers, first attempts that failed (and were retried), and what still failed after the retry. */
export interface RetryCount {
  ok: number;
  retried: number;
  failures: string[];
}

/**
 * `clients` closed-loop clients, each sending `once` (an idempotent read; undefined when it
 * succeeded, else what went wrong) until stopped. A failed answer is retried once, as the SPA's
 * client does for idempotent requests; what fails again counts as a failure.
 */
export function retryingClients(clients: number, once: () => Promise<string | undefined>): { count: RetryCount; stop(): Promise<void> } {
  const count: RetryCount = { ok: 0, retried: 0, failures: [] };
  let done = false;
  const loops = Array.from({ length: clients }, async () => {
    while (!done) {
      const first = await once();
      if (first === undefined) { count.ok++; continue; }
      // In flight on the stopped instance: the client retries once.
      count.retried++;
      const second = await once();
      if (second === undefined) count.ok++;
      else count.failures.push(`${first}, then ${second}`);
    }
  });
  return {
    count,
    stop: async () => {
      done = true;
      await Promise.all(loops);
    },
  };
}

/**
 * A rolling restart as docs/scaling.md describes it: one instance at a time, stopped (SIGTERM),
 * `whileDown`, started again until `/api/health` answers 200, `whenBack`, and then at least nginx's
 * `fail_timeout` since it came back before the next one is stopped (nginx takes a failed server
 * back only after that time; stopping the next one earlier leaves it no live upstream).
 * `abort` ends the waits early (a test that has already failed).
 */
export async function rollingRestart(instances: ClusterInstance[], steps: {
  whileDown: (inst: ClusterInstance) => Promise<void>;
  whenBack?: (inst: ClusterInstance) => Promise<void>;
  abort?: () => boolean;
  log?: (line: string) => void;
}): Promise<void> {
  const log = steps.log ?? (() => undefined);
  for (const inst of instances) {
    log(`stopping ${inst.name}`);
    await inst.stop();
    log(`${inst.name} stopped (${inst.lastStop?.exit}, ${((inst.lastStop?.ms ?? 0) / 1000).toFixed(1)} s)`);
    await steps.whileDown(inst);
    log(`starting ${inst.name}`);
    await inst.start();
    const back = Date.now();
    log(`${inst.name} healthy`);
    await steps.whenBack?.(inst);
    await until(`nginx's fail_timeout after ${inst.name} is back`, () => Date.now() - back > NGINX_FAIL_TIMEOUT_MS + 2000 || (steps.abort?.() ?? false));
  }
}
