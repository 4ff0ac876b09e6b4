import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { createKnex } from '../../backend/src/db/connection.js';
import { inWholeTenant } from '../../backend/src/db/tenant-transaction.js';
import { generate } from '../../backend/src/demo/generator.js';
import {
  clusterInstances, createAnalyst, retryingClients, rollingRestart, signInThrough, startUpstreamNginx, until, type ClusterInstance,
} from '../lib/cluster.js';

/**
 * Two compiled API instances (own PORT and KONTOR_HOME) on the e2e run's database, behind the real
 * nginx upstream of nginx/templates/kontor.conf.template: one cluster (the run's own instance is a
 * third member). The instances are started once and reused by every case.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LIMIT = 10;

const cli = JSON.parse(process.env.E2E_CLI_ENV ?? '{}') as Record<string, string>;
const secrets = JSON.parse(fs.readFileSync(path.join(process.env.E2E_KONTOR_HOME!, 'secrets.json'), 'utf8')) as Record<string, string>;
const pgPort = Number(cli.KONTOR_PG_PORT);
const dbUrl = (user: string, password: string) => `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/kontor`;

let work: string;
let nginx: { base: string; stop(): Promise<void> } | undefined;
let owner: Knex;
let base: string;
let instances: ClusterInstance[] = [];

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-e2e-multi-'));
  fs.chmodSync(work, 0o755);
  owner = createKnex(dbUrl('kontor_owner', secrets.pgOwnerPassword), 2);
  instances = await clusterInstances(work, ['instance-1', 'instance-2'], {
    databaseUrl: dbUrl('kontor_app', secrets.pgApiPassword),
    ownerUrl: dbUrl('kontor_owner', secrets.pgOwnerPassword),
    retentionUrl: dbUrl('kontor_retention', secrets.pgRetentionPassword),
    // One cluster: the same session, sign-in event and second-factor keys everywhere.
    sessionSecret: secrets.sessionSecret,
    loginEventKey: secrets.loginEventKey,
    totpKey: secrets.totpKey,
    signingKeyFile: path.join(process.env.E2E_KONTOR_HOME!, 'checkpoint-key.pem'),
    env: { SMTP_URL: cli.SMTP_URL, LOGIN_ATTEMPTS_PER_MINUTE: String(LIMIT), JOB_CONCURRENCY: '1' },
  });
  for (const inst of instances) await inst.start();
  // The run's throw-away certificate, which this process already trusts.
  const cert = process.env.NODE_EXTRA_CA_CERTS!;
  nginx = await startUpstreamNginx({
    prefix: path.join(work, 'nginx'), instances, tls: { cert, key: path.join(path.dirname(cert), 'tls.key') },
    staticRoot: path.join(repoRoot, 'frontend/dist'),
  });
  base = nginx.base;
});

after(async () => {
  await nginx?.stop();
  for (const inst of instances) await inst.stop();
  await owner?.destroy();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The session of the user signed in through nginx (TLS: `__Host-` prefix), as a plain-HTTP client of one instance sends it. */
const plainCookie = () => cookie.replace(/^__Host-/, '');

/** Direct to one instance, as a browser on that origin: the session of the user signed in through nginx. */
async function direct(inst: ClusterInstance, method: string, p: string, body?: string | object, type = 'application/json'): Promise<{ status: number; body: any }> {
  const url = inst.url;
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
    const user = await createAnalyst(owner);
    tenantId = user.tenantId;
    cookie = await signInThrough(base, user);
    const clients = retryingClients(3, async () => {
      try {
        const res = await fetch(`${base}/api/auth/sessions`, { headers: { cookie } });
        const text = await res.text();
        return res.status === 200 && text.startsWith('[') ? undefined : `status ${res.status}`;
      } catch (err) {
        return `network: ${(err as Error).message}`;
      }
    });
    const { count } = clients;
    const progress = async (what: string) => {
      const target = count.ok + 30;
      await until(what, () => count.ok >= target || count.failures.length > 0);
    };
    try {
      await progress('requests before the restart');
      await rollingRestart(instances, {
        whileDown: (inst) => progress(`requests while ${inst.name} is down`),
        whenBack: (inst) => progress(`requests after ${inst.name} is back`),
        abort: () => count.failures.length > 0,
      });
    } finally {
      await clients.stop();
    }
    const { ok, retried, failures } = count;
    assert.deepEqual(failures, [], `${ok} requests answered, ${retried} retried`);
    assert.ok(ok >= 150, `${ok} requests answered`);
    // Both instances serve the session again.
    for (const inst of instances) {
      const res = await fetch(`${inst.url}/api/auth/sessions`, { headers: { cookie: plainCookie() } });
      assert.equal(res.status, 200, inst.name);
    }
  });

  it('lets an import running on instance 1 finish while instance 2 starts', async () => {
    await instances[1].stop();
    const { containerId, importId } = await runningImport();
    await instances[1].start();
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
    await instances[0].stop('SIGKILL');
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
      await instances[0].start();
    }
  });

  it(`holds a sign-in throttle of ${LIMIT} a minute across both instances together`, async () => {
    // A fresh client address (the instances trust a loopback proxy's X-Forwarded-For); 24 parallel attempts, alternating.
    const address = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;
    const statuses = await Promise.all(Array.from({ length: 24 }, async (_, i) => {
      const url = instances[i % 2].url;
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
      const url = inst.url;
      const res = await fetch(`${url}/api/auth/login`, {
        method: 'POST', headers: { origin: url, 'content-type': 'application/json', 'x-forwarded-for': address },
        body: JSON.stringify({ email: 'nobody@cluster.example', password: 'x' }),
      });
      assert.equal(res.status, 429, inst.name);
    }
  });
});
