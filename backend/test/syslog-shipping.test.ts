import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { recordAudit } from '../src/audit/audit-store.js';
import { SyslogShipper } from '../src/audit/syslog-shipper.js';
import { inTenant } from '../src/db/tenant-transaction.js';
import { createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { capturingLogger } from './helpers/logger.js';

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
    await inTenant(t.db, u.tenantId, (trx) => recordAudit(trx, { tenantId: u.tenantId, actorUserId: u.id, type: 'container.created', subjectType: 'container', subjectId: 'c-1', details: { rows: 3 } }, t.clock.now()));
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
    await inTenant(t.db, u.tenantId, (trx) => recordAudit(trx, { tenantId: u.tenantId, actorUserId: u.id, type: 'container.renamed' }, t.clock.now()));
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
    await inTenant(t.db, u.tenantId, (trx) => recordAudit(trx, { tenantId: u.tenantId, actorUserId: u.id, type: 'import.started' }, t.clock.now()));
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
