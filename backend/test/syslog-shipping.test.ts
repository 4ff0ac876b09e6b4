import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { recordAudit } from '../src/audit/audit-store.js';
import { SyslogShipper } from '../src/audit/syslog-shipper.js';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { capturingLogger } from './helpers/logger.js';
import { MailCatcher } from './helpers/mail.js';
import { listen } from './helpers/http.js';
import { createApp, type AppDeps } from '../src/app.js';
import { createMailer } from '../src/mail/mailer.js';

/** Just enough for a second app instance whose /api/health reports a given shipper. */
function appDeps(): AppDeps {
  const { logger } = capturingLogger();
  return {
    db: t.db, logger, clock: t.clock, mailer: { send: async () => undefined }, sessionSecret: randomBytes(32).toString('hex'),
    hmacKey: randomBytes(32).toString('hex'), totpKey: randomBytes(32).toString('hex'), jsonBodyLimit: '100kb',
  };
}

/** A real syslog receiver: a TCP listener that splits RFC 6587 octet-counted frames. */
function syslogReceiver(): Promise<{ url: string; messages: string[]; close(): Promise<void> }> {
  const messages: string[] = [];
  const server = net.createServer((socket) => {
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const space = buffer.indexOf(0x20);
        if (space < 0) break;
        const length = Number(buffer.subarray(0, space).toString());
        if (buffer.length < space + 1 + length) break;
        messages.push(buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
        buffer = buffer.subarray(space + 1 + length);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as net.AddressInfo;
    resolve({ url: `tcp://127.0.0.1:${port}`, messages, close: () => new Promise((r) => server.close(() => r())) });
  }));
}

let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

describe('shipping audit and sign-in records to syslog (RFC 5424 over TCP)', () => {
  it('streams every new record once, as a JSON line in an RFC 5424 message, and resumes where it stopped', async () => {
    const receiver = await syslogReceiver();
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    await new Client(t.url).login(u.email, u.password);
    await new Client(t.url).login(u.email, 'wrong password here');
    await inWholeTenant(t.db, u.tenantId, (trx) => recordAudit(trx, { tenantId: u.tenantId, actorUserId: u.id, type: 'container.created', subjectType: 'container', subjectId: 'c-1', details: { rows: 3 } }, t.clock.now()));
    const shipper = new SyslogShipper({ db: t.db, url: receiver.url, logger: capturingLogger().logger });
    assert.ok(await shipper.shipOnce() >= 3);
    await new Promise((r) => setTimeout(r, 100));
    const mine = () => receiver.messages.filter((m) => m.includes(u.tenantId));
    const audit = mine().find((m) => m.includes('"kind":"audit"'))!;
    assert.match(audit, /^<110>1 \d{4}-\d\d-\d\dT[\d:.]+Z \S+ kontor \d+ audit - \{/, 'facility log audit (13), severity info');
    const json = JSON.parse(audit.slice(audit.indexOf('{')));
    assert.equal(json.type, 'container.created');
    assert.equal(json.tenantId, u.tenantId);
    assert.equal(json.seq, 1);
    assert.match(json.hash, /^[0-9a-f]{64}$/);
    const failure = mine().find((m) => m.includes('"outcome":"failure"'))!;
    assert.match(failure, /^<108>1 /, 'a failed sign-in is a warning');
    assert.ok(!failure.includes('wrong password'), 'never the password');

    const before = mine().length;
    assert.equal(await shipper.shipOnce() >= 0, true);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(mine().length, before, 'nothing is shipped twice');
    await inWholeTenant(t.db, u.tenantId, (trx) => recordAudit(trx, { tenantId: u.tenantId, actorUserId: u.id, type: 'container.renamed' }, t.clock.now()));
    await shipper.shipOnce();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(mine().length, before + 1);
    assert.match(mine().at(-1)!, /"type":"container.renamed".*"seq":2|"seq":2.*"type":"container.renamed"/);
    await receiver.close();
  });

  it('keeps its position when the receiver is down, and catches up later', async () => {
    const receiver = await syslogReceiver();
    const url = receiver.url;
    await receiver.close();
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    await inWholeTenant(t.db, u.tenantId, (trx) => recordAudit(trx, { tenantId: u.tenantId, actorUserId: u.id, type: 'import.started' }, t.clock.now()));
    const shipper = new SyslogShipper({ db: t.db, url, logger: capturingLogger().logger });
    await assert.rejects(shipper.shipOnce(), /ECONNREFUSED/);
    const again = await syslogReceiver();
    const catchUp = new SyslogShipper({ db: t.db, url: again.url, logger: capturingLogger().logger });
    await catchUp.shipOnce();
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(again.messages.some((m) => m.includes(u.tenantId) && m.includes('import.started')));
    await again.close();
  });
});

// --- RFC 5425: syslog over TLS, and shipping that cannot stop silently --------------------------

/** A throw-away CA with a server certificate (localhost, 127.0.0.1) and a client certificate, made with openssl. */
function throwAwayPki(dir: string, name = 'ca'): { ca: string; serverKey: string; serverCert: string; clientKey: string; clientCert: string } {
  const f = (n: string) => path.join(dir, `${name}-${n}`);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', `/CN=Kontor test ${name}`);
  for (const [who, ext] of [['server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth'], ['client', 'extendedKeyUsage=clientAuth']] as const) {
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${who === 'server' ? 'localhost' : 'kontor'}`);
    fs.writeFileSync(f(`${who}.ext`), `${ext}\n`);
    ssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${who}.crt`), '-days', '1', '-extfile', f(`${who}.ext`));
  }
  return { ca: f('ca.crt'), serverKey: f('server.key'), serverCert: f('server.crt'), clientKey: f('client.key'), clientCert: f('client.crt') };
}

/** A real RFC 5425 receiver: TLS, client certificate required, octet-counted frames; can be stopped and restarted on its port. */
class TlsReceiver {
  readonly messages: string[] = [];
  private server: tls.Server | undefined;
  port = 0;
  constructor(private readonly pki: ReturnType<typeof throwAwayPki>) {}

  async start(): Promise<string> {
    this.server = tls.createServer({
      key: fs.readFileSync(this.pki.serverKey), cert: fs.readFileSync(this.pki.serverCert), ca: fs.readFileSync(this.pki.ca), requestCert: true, rejectUnauthorized: true,
    }, (socket) => {
      let buffer = Buffer.alloc(0);
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const space = buffer.indexOf(0x20);
          if (space < 0) break;
          const length = Number(buffer.subarray(0, space).toString());
          if (buffer.length < space + 1 + length) break;
          this.messages.push(buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
          buffer = buffer.subarray(space + 1 + length);
        }
      });
    });
    this.server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return `tls://localhost:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server!.close(() => r()));
  }
}

describe('syslog over TLS (RFC 5425), and shipping that cannot stop silently', () => {
  let dir: string;
  let pki: ReturnType<typeof throwAwayPki>;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-pki-'));
    pki = throwAwayPki(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const settle = () => new Promise((r) => setTimeout(r, 150));

  it('ships over TLS with the server certificate verified against the configured CA and a client certificate', async () => {
    const receiver = new TlsReceiver(pki);
    const url = await receiver.start();
    const u = await createTenantWithUser(t, { roles: ['analyst'] });
    await inWholeTenant(t.db, u.tenantId, (trx) => recordAudit(trx, { tenantId: u.tenantId, actorUserId: u.id, type: 'container.created' }, t.clock.now()));
    const tlsOptions = { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey };
    const shipper = new SyslogShipper({ db: t.db, url, tls: tlsOptions, logger: capturingLogger().logger });
    assert.ok((await shipper.shipOnce()) >= 1);
    await settle();
    assert.ok(receiver.messages.some((m) => m.includes(u.tenantId) && m.includes('container.created')), 'delivered over TLS');

    // A server whose certificate another CA signed is refused before anything is sent.
    const other = throwAwayPki(dir, 'other');
    await inWholeTenant(t.db, u.tenantId, (trx) => recordAudit(trx, { tenantId: u.tenantId, actorUserId: u.id, type: 'container.renamed' }, t.clock.now()));
    const wrongCa = new SyslogShipper({ db: t.db, url, tls: { ...tlsOptions, caFile: other.ca }, logger: capturingLogger().logger });
    await assert.rejects(wrongCa.shipOnce(), (err: { code?: string }) => /UNABLE_TO_VERIFY|SELF_SIGNED|CERT/.test(String(err.code)));
    await settle();
    assert.ok(!receiver.messages.some((m) => m.includes('container.renamed') && m.includes(u.tenantId)), 'nothing sent to an unverified server');
    assert.ok((await shipper.shipOnce()) >= 1, 'the position did not move: the right shipper still sends it');
    await settle();
    assert.ok(receiver.messages.some((m) => m.includes('container.renamed') && m.includes(u.tenantId)));
    await receiver.stop();
  });

  it('a stopped listener turns health degraded after the lag bound, mails once, and a restart delivers every record and mails once more', async () => {
    const mail = new MailCatcher();
    const mailer = createMailer({ smtpUrl: await mail.start(), home: '/nonexistent', logger: capturingLogger().logger, clock: t.clock });
    const receiver = new TlsReceiver(pki);
    const url = await receiver.start();
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
    // Two admins of the bank, one mail each in the language each chose (issue 15).
    const enAdmin = await addUser(t, admin.tenantId, { roles: ['tenant_admin'] });
    await t.owner('users').where({ id: admin.id }).update({ locale: 'de' });
    await t.owner('users').where({ id: enAdmin.id }).update({ locale: 'en' });
    const shipper = new SyslogShipper({
      db: t.db, url, tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey }, logger: capturingLogger().logger, maxLagMs: 400, mailer,
    });
    const app = createApp({ ...appDeps(), auditShipping: shipper });
    const running = await listen(app.app);
    const health = async () => (await new Client(running.url).get('/api/health')).body;
    await shipper.shipOnce();
    assert.equal((await health()).status, 'ok');

    await receiver.stop();
    const write = (type: string) => inWholeTenant(t.db, admin.tenantId, (trx) => recordAudit(trx, { tenantId: admin.tenantId, actorUserId: admin.id, type }, t.clock.now()));
    await write('import.started');
    await assert.rejects(shipper.shipOnce(), /ECONNREFUSED/);
    assert.equal((await health()).status, 'ok', 'within the bound');
    await new Promise((r) => setTimeout(r, 500));
    await assert.rejects(shipper.shipOnce(), /ECONNREFUSED/);
    const degraded = await health();
    assert.equal(degraded.status, 'degraded');
    assert.deepEqual([degraded.auditShipping.status, degraded.auditShipping.reason], ['lagging', 'ECONNREFUSED']);
    await write('import.failed');
    await assert.rejects(shipper.shipOnce(), /ECONNREFUSED/);
    await mail.waitFor((m) => m.to.includes(admin.email));
    await settle();
    const mine = () => mail.mails.filter((m) => m.to.includes(admin.email));
    assert.deepEqual(mine().map((m) => m.subject), ['Kontor: Protokollversand an Syslog gestört'], 'exactly one mail');
    assert.doesNotMatch(mine()[0]!.text, /has not been able to ship/);
    const theirs = () => mail.mails.filter((m) => m.to === enAdmin.email);
    await mail.waitFor((m) => m.to === enAdmin.email);
    assert.deepEqual(theirs().map((m) => m.subject), ['Kontor: audit shipping to syslog has stopped'], 'the English admin: one English mail');
    assert.match(theirs()[0]!.text, /has not been able to ship audit records to the syslog server for \d+ minutes/);
    assert.doesNotMatch(theirs()[0]!.text, /Protokoll/);

    await receiver.start();
    await shipper.shipOnce();
    assert.equal((await health()).status, 'ok');
    await shipper.shipOnce();
    await settle();
    for (const type of ['import.started', 'import.failed', 'audit.shipping_stopped']) {
      assert.ok(receiver.messages.some((m) => m.includes(admin.tenantId) && m.includes(`"type":"${type}"`)), `${type} delivered after the restart`);
    }
    await mail.waitFor((m) => m.to.includes(admin.email) && m.subject.includes('wieder in Ordnung'));
    assert.equal(mine().length, 2, 'one more mail when it resumed');
    await mail.waitFor((m) => m.to === enAdmin.email && m.subject === 'Kontor: audit shipping has resumed');
    assert.doesNotMatch(theirs()[1]!.text, /Unterbrechung/);
    assert.equal(theirs().length, 2);
    const events = await inWholeTenant(t.owner, admin.tenantId, (trx) => trx('audit_events').where({ tenant_id: admin.tenantId }).where('type', 'like', 'audit.shipping_%').orderBy('seq').pluck('type'));
    assert.deepEqual(events, ['audit.shipping_stopped', 'audit.shipping_resumed']);
    await running.close();
    await receiver.stop();
    await mail.stop();
  });
});
