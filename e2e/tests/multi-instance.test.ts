import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import type { Knex } from 'knex';
import { createKnex } from '../../backend/src/db/connection.js';
import { inTenant, inWholeTenant } from '../../backend/src/db/tenant-transaction.js';
import { PasswordHasher } from '../../backend/src/auth/password-hasher.js';
import { DEFAULT_DEPARTMENT_NAME } from '../../backend/src/departments/departments-store.js';
import { generate } from '../../backend/src/demo/generator.js';
import { freePort } from '../../backend/src/net/free-port.js';
import { renderLocalConfig } from '../lib/nginx.js';
import { startProcess, stopProcess, waitForHttp } from '../lib/processes.js';

/**
 * Two compiled API instances (own PORT and KONTOR_HOME) on the e2e run's database, behind the real
 * nginx upstream of nginx/templates/kontor.conf.template: one cluster (the run's own instance is a
 * third member). The instances are started once and reused by every case.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const serverMain = path.join(repoRoot, 'backend/dist/backend/src/main.js');
const LIMIT = 10;

interface Instance {
  name: string;
  port: number;
  home: string;
  child: ChildProcess | undefined;
}

const cli = JSON.parse(process.env.E2E_CLI_ENV ?? '{}') as Record<string, string>;
const secrets = JSON.parse(fs.readFileSync(path.join(process.env.E2E_KONTOR_HOME!, 'secrets.json'), 'utf8')) as Record<string, string>;
const pgPort = Number(cli.KONTOR_PG_PORT);
const dbUrl = (user: string, password: string) => `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/kontor`;

let work: string;
let nginx: ChildProcess | undefined;
let owner: Knex;
let base: string;
const instances: Instance[] = [];

function instanceEnv(inst: Instance): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(inst.port),
    KONTOR_HOME: inst.home,
    DATABASE_URL: dbUrl('kontor_app', secrets.pgApiPassword),
    DATABASE_OWNER_URL: dbUrl('kontor_owner', secrets.pgOwnerPassword),
    DATABASE_RETENTION_URL: dbUrl('kontor_retention', secrets.pgRetentionPassword),
    // One cluster: the same session, sign-in event and second-factor keys everywhere.
    SESSION_SECRET: secrets.sessionSecret,
    LOGIN_EVENT_KEY: secrets.loginEventKey,
    TOTP_KEY: secrets.totpKey,
    AUDIT_SIGNING_KEY_FILE: path.join(process.env.E2E_KONTOR_HOME!, 'checkpoint-key.pem'),
    SECURITY_HEADERS: 'proxy',
    SMTP_URL: cli.SMTP_URL,
    LOG_LEVEL: 'warn',
    LOGIN_ATTEMPTS_PER_MINUTE: String(LIMIT),
    JOB_CONCURRENCY: '1',
  };
}

async function startInstance(inst: Instance): Promise<void> {
  inst.child = startProcess(process.execPath, [serverMain], instanceEnv(inst), inst.name);
  await waitForHttp(`http://127.0.0.1:${inst.port}/api/health`, 120_000);
}

async function stopInstance(inst: Instance, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (inst.child) await stopProcess(inst.child, signal);
  inst.child = undefined;
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A bank analyst with a password only, written as the owner (as the backend's installation helper does). */
async function createUser(): Promise<{ tenantId: string; email: string; password: string }> {
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

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-e2e-multi-'));
  fs.chmodSync(work, 0o755);
  owner = createKnex(dbUrl('kontor_owner', secrets.pgOwnerPassword), 2);
  for (const name of ['instance-1', 'instance-2']) {
    const home = path.join(work, name);
    fs.mkdirSync(home, { mode: 0o700 });
    instances.push({ name, port: await freePort(), home, child: undefined });
  }
  for (const inst of instances) await startInstance(inst);
  const prefix = path.join(work, 'nginx');
  fs.mkdirSync(prefix, { mode: 0o755 });
  // The run's throw-away certificate, which this process already trusts.
  const cert = process.env.NODE_EXTRA_CA_CERTS!;
  const tls = { cert, key: path.join(path.dirname(cert), 'tls.key') };
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const conf = renderLocalConfig({
    repoRoot, prefix, httpPort, httpsPort, tls, staticRoot: path.join(repoRoot, 'frontend/dist'),
    apiUpstream: `127.0.0.1:${instances[0].port}`, apiUpstream2: `127.0.0.1:${instances[1].port}`,
  });
  nginx = startProcess('nginx', ['-c', conf, '-p', prefix, '-g', 'daemon off;'], process.env, 'nginx');
  base = `https://127.0.0.1:${httpsPort}`;
  await waitForHttp(`${base}/api/health`);
});

after(async () => {
  if (nginx) await stopProcess(nginx, 'SIGQUIT');
  for (const inst of instances) await stopInstance(inst);
  await owner?.destroy();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Signs in through nginx; waits out a throttle window other suites may have filled from this address. */
async function signIn({ email, password }: { email: string; password: string }): Promise<string> {
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

/** The session of the user signed in through nginx (TLS: `__Host-` prefix), as a plain-HTTP client of one instance sends it. */
const plainCookie = () => cookie.replace(/^__Host-/, '');

/** Direct to one instance, as a browser on that origin: the session of the user signed in through nginx. */
async function direct(inst: Instance, method: string, p: string, body?: string | object, type = 'application/json'): Promise<{ status: number; body: any }> {
  const url = `http://127.0.0.1:${inst.port}`;
  const res = await fetch(`${url}/api${p}`, {
    method, headers: { origin: url, cookie: plainCookie(), ...(body === undefined ? {} : { 'content-type': type }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

let cookie: string;
let tenantId: string;
let bigFile: string;

/** A container and a large customer-group import on instance 1 (its spool), once the job runs there. */
async function runningImport(): Promise<{ containerId: string; importId: string }> {
  const inst = instances[0];
  const c = await direct(inst, 'POST', '/containers', { name: `Cluster ${randomBytes(3).toString('hex')}` });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const containerId = c.body.id as string;
  const started = await direct(inst, 'POST', `/containers/${containerId}/imports/customer_groups`, fs.readFileSync(bigFile, 'utf8'), 'text/csv');
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const importId = started.body.id as string;
  let status = '';
  await until('the import to run', async () => {
    status = (await direct(inst, 'GET', `/imports/${importId}`)).body.status;
    return status !== 'queued';
  });
  assert.equal(status, 'running', 'the import was still running when looked at (make the file larger)');
  return { containerId, importId };
}

async function rowsOf(containerId: string): Promise<number> {
  const row = await inWholeTenant(owner, tenantId, (trx) => trx('customer_groups').where({ tenant_id: tenantId, container_id: containerId }).count({ n: '*' }).first());
  return Number((row as { n: string | number }).n);
}

describe('two instances behind the nginx upstream', () => {
  before(async () => {
    const dir = path.join(work, 'files');
    await generate({ groups: 150_000, seed: 19, outDir: dir });
    bigFile = path.join(dir, 'customer_groups.csv');
  });

  it('keeps a signed-in user working through a rolling restart of both instances', async () => {
    const user = await createUser();
    tenantId = user.tenantId;
    cookie = await signIn(user);
    let ok = 0;
    let retried = 0;
    const failures: string[] = [];
    let done = false;
    const once = async (): Promise<string | undefined> => {
      try {
        const res = await fetch(`${base}/api/auth/sessions`, { headers: { cookie } });
        const text = await res.text();
        return res.status === 200 && text.startsWith('[') ? undefined : `status ${res.status}`;
      } catch (err) {
        return `network: ${(err as Error).message}`;
      }
    };
    const clients = Array.from({ length: 3 }, async () => {
      while (!done) {
        const first = await once();
        if (first === undefined) { ok++; continue; }
        // In flight on the stopped instance: the client retries once.
        retried++;
        const second = await once();
        if (second === undefined) ok++;
        else failures.push(`${first}, then ${second}`);
      }
    });
    const progress = async (what: string) => {
      const target = ok + 30;
      await until(what, () => ok >= target || failures.length > 0);
    };
    try {
      await progress('requests before the restart');
      for (const inst of instances) {
        await stopInstance(inst);
        await progress(`requests while ${inst.name} is down`);
        await startInstance(inst);
        // Passive health checks: nginx takes it back only after fail_timeout (10 s). A rolling
        // restart waits that long before stopping the next, or nginx has no live upstream left.
        const back = Date.now();
        await progress(`requests after ${inst.name} is back`);
        await until(`nginx's fail_timeout after ${inst.name} is back`, () => Date.now() - back > 12_000 || failures.length > 0);
      }
    } finally {
      done = true;
      await Promise.all(clients);
    }
    assert.deepEqual(failures, [], `${ok} requests answered, ${retried} retried`);
    assert.ok(ok >= 150, `${ok} requests answered`);
    // Both instances serve the session again.
    for (const inst of instances) {
      const res = await fetch(`http://127.0.0.1:${inst.port}/api/auth/sessions`, { headers: { cookie: plainCookie() } });
      assert.equal(res.status, 200, inst.name);
    }
  });

  it('lets an import running on instance 1 finish while instance 2 starts', async () => {
    await stopInstance(instances[1]);
    const { containerId, importId } = await runningImport();
    await startInstance(instances[1]);
    let view: any;
    await until('the import to finish', async () => {
      view = (await direct(instances[0], 'GET', `/imports/${importId}`)).body;
      return view.status !== 'running' && view.status !== 'queued';
    }, 300_000);
    assert.equal(view.status, 'succeeded', JSON.stringify(view.errors));
    assert.ok(view.rowsImported > 100_000, String(view.rowsImported));
    assert.equal(await rowsOf(containerId), view.rowsImported);
  });

  it('reports an import of a SIGKILLed instance failed from the other one within a minute, with nothing half-imported', async () => {
    const { containerId, importId } = await runningImport();
    await stopInstance(instances[0], 'SIGKILL');
    try {
      const killedAt = Date.now();
      let view: any;
      await until('instance 2 to fail the import', async () => {
        view = (await direct(instances[1], 'GET', `/imports/${importId}`)).body;
        return view.status === 'failed';
      }, 90_000);
      const seconds = (Date.now() - killedAt) / 1000;
      assert.ok(seconds < 60, `failed after ${seconds} s`);
      assert.equal(view.errors[0]?.code, 'interrupted');
      assert.match(view.errors[0]?.message, /The server restarted during this import/);
      assert.equal(await rowsOf(containerId), 0);
    } finally {
      await startInstance(instances[0]);
    }
  });

  it(`holds a sign-in throttle of ${LIMIT} a minute across both instances together`, async () => {
    // A fresh client address (the instances trust a loopback proxy's X-Forwarded-For); 24 parallel attempts, alternating.
    const address = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;
    const statuses = await Promise.all(Array.from({ length: 24 }, async (_, i) => {
      const url = `http://127.0.0.1:${instances[i % 2].port}`;
      const res = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { origin: url, 'content-type': 'application/json', 'x-forwarded-for': address },
        body: JSON.stringify({ email: `nobody-${i}@cluster.example`, password: 'not-the-password' }),
      });
      await res.text();
      return res.status;
    }));
    assert.equal(statuses.filter((s) => s !== 429).length, LIMIT, statuses.join());
    assert.ok(statuses.filter((s) => s !== 429).every((s) => s === 401), statuses.join());
    // Both instances refuse the address now.
    for (const inst of instances) {
      const url = `http://127.0.0.1:${inst.port}`;
      const res = await fetch(`${url}/api/auth/login`, {
        method: 'POST', headers: { origin: url, 'content-type': 'application/json', 'x-forwarded-for': address },
        body: JSON.stringify({ email: 'nobody@cluster.example', password: 'x' }),
      });
      assert.equal(res.status, 429, inst.name);
    }
  });
});
