import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { createKnex } from '../src/db/connection.js';
import { createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { apiUrl } from './helpers/db.js';

/**
 * One app instance reaches PostgreSQL through a TCP relay that the test can cut and restore:
 * during the outage data routes answer 503 database_unavailable, afterwards they work again by
 * themselves (no restart).
 */
class Relay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** The database is gone: open connections die and new ones are refused. */
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

let t: TestKontor;
let relay: Relay;
let relayedDb: Knex;
let c: Client;

before(async () => {
  const target = new URL(apiUrl());
  relay = new Relay({ host: target.hostname, port: Number(target.port) });
  await relay.start();
  const relayed = new URL(apiUrl());
  relayed.port = String(relay.port);
  relayedDb = createKnex(relayed.toString(), 4);
  t = await startTestKontor({ db: relayedDb });
  const user = await createTenantWithUser(t, { roles: ['analyst'] });
  c = new Client(t.url);
  assert.equal((await c.login(user.email, user.password)).status, 200);
});

after(async () => {
  await t.close();
  await relayedDb.destroy();
  await relay.cut();
});

describe('a database outage', () => {
  it('answers 503 database_unavailable on data routes, then recovers without a restart', async () => {
    assert.equal((await c.get('/api/containers')).status, 200);

    await relay.cut();
    for (const path of ['/api/containers', '/api/auth/session', '/api/users']) {
      const res = await c.get(path);
      assert.equal(res.status, 503, `${path} during the outage: ${res.status} ${JSON.stringify(res.body)} ${t.logLines.filter((l) => l.includes('unhandled')).join('')}`);
      assert.equal(res.body.error.code, 'database_unavailable');
      assert.ok(res.headers.get('retry-after'), 'tells the client when to try again');
    }
    assert.equal((await fetch(`${t.url}/api/health`)).status, 503);
    assert.ok(!t.logLines.some((l) => l.includes('"unhandled error"')), 'an outage is not an unhandled error');

    await relay.start();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await c.get('/api/containers')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 200, 'data routes work again once the database is back');
  });
});
