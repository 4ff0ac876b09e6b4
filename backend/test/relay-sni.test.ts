import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_HELLO_BYTES, readSni, type SniResult } from '../src/relay/sni.js';

/** The first flight of a real TLS client (node's OpenSSL), captured on a plain TCP listener. */
async function realClientHello(servername: string | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const server = net.createServer((s) => s.on('data', (c: Buffer) => chunks.push(c)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const client = tls.connect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}), rejectUnauthorized: false });
  client.on('error', () => undefined);
  for (let i = 0; i < 100 && readSni(Buffer.concat(chunks)).kind === 'more'; i++) await new Promise((r) => setTimeout(r, 20));
  client.destroy();
  await new Promise((r) => server.close(r));
  return Buffer.concat(chunks);
}

/** A ClientHello of our own making: the fields in order, the server_name extension optional. */
function clientHello(opts: { names?: string[]; extensionsBefore?: Buffer[]; sessionId?: number; recordSizes?: number[] } = {}): Buffer {
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
  const extensions: Buffer[] = [...(opts.extensionsBefore ?? [])];
  if (opts.names) {
    const list = Buffer.concat(opts.names.map((n) => Buffer.concat([Buffer.from([0]), vec16(Buffer.from(n, 'latin1'))])));
    extensions.push(Buffer.concat([u16(0), vec16(vec16(list))]));
  }
  const body = Buffer.concat([
    Buffer.from([3, 3]), Buffer.alloc(32, 7),
    Buffer.from([opts.sessionId ?? 32]), Buffer.alloc(opts.sessionId ?? 32, 1),
    vec16(Buffer.from([0x13, 0x01, 0x13, 0x02])),
    Buffer.from([1, 0]),
    vec16(Buffer.concat(extensions)),
  ]);
  const handshake = Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return records(handshake, opts.recordSizes ?? [handshake.length]);
}

/** Splits a handshake into TLS records of the given sizes (the last takes the rest). */
function records(handshake: Buffer, sizes: number[]): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < handshake.length; i++) {
    const size = i < sizes.length - 1 ? Math.max(1, sizes[i]!) : handshake.length - at;
    const part = handshake.subarray(at, at + size);
    out.push(Buffer.from([0x16, 3, 1, part.length >> 8, part.length & 0xff]), part);
    at += part.length;
  }
  return Buffer.concat(out);
}

/** What the relay does: feed the bytes as they come, ask again after each segment. */
function feed(segments: Buffer[]): SniResult {
  let seen = Buffer.alloc(0);
  let result: SniResult = { kind: 'more' };
  for (const s of segments) {
    seen = Buffer.concat([seen, s]);
    result = readSni(seen);
    if (result.kind !== 'more') return result;
  }
  return result;
}

describe('ClientHello SNI parser', () => {
  let real: Buffer;
  before(async () => {
    real = await realClientHello('Kontor.Sparkasse-Musterstadt.example');
  });

  it('reads the name from a real TLS client, lower-cased, and answers "more" at every shorter prefix', () => {
    assert.deepEqual(readSni(real), { kind: 'name', name: 'kontor.sparkasse-musterstadt.example' });
    for (let n = 0; n < real.length; n++) assert.equal(readSni(real.subarray(0, n)).kind, 'more', `prefix of ${n} bytes`);
  });

  it('reads the same name however the bytes are cut into TCP segments (property)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: real.length }), { maxLength: 20 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const segments = [0, ...points].map((p, i) => real.subarray(p, points[i] ?? real.length)).filter((s) => s.length);
      assert.deepEqual(feed(segments), { kind: 'name', name: 'kontor.sparkasse-musterstadt.example' });
    }));
  });

  it('reads the name when the ClientHello is split across several TLS records (property)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 12 }), (sizes) => {
      const hello = clientHello({ names: ['kontor.test'], extensionsBefore: [Buffer.from([0, 10, 0, 4, 0, 2, 0, 29])], recordSizes: sizes });
      assert.deepEqual(readSni(hello), { kind: 'name', name: 'kontor.test' });
    }));
  });

  it('says "none" for a ClientHello without a server name (a client connecting by IP address)', async () => {
    assert.deepEqual(readSni(await realClientHello(undefined)), { kind: 'none' });
    assert.deepEqual(readSni(clientHello({})), { kind: 'none' });
  });

  it('refuses what is not a ClientHello: plain HTTP, other record types, other handshake messages, SSLv2', () => {
    assert.equal(readSni(Buffer.from('GET / HTTP/1.1\r\nHost: kontor.test\r\n\r\n')).kind, 'invalid');
    assert.equal(readSni(Buffer.from([0x17, 3, 3, 0, 5, 1, 2, 3, 4, 5])).kind, 'invalid');
    const serverHello = clientHello({ names: ['kontor.test'] });
    serverHello[5] = 0x02;
    assert.equal(readSni(serverHello).kind, 'invalid');
    assert.equal(readSni(Buffer.from([0x80, 0x2e, 0x01, 0x00, 0x02])).kind, 'invalid');
    assert.equal(readSni(Buffer.from([0x16, 0x02])).kind, 'invalid', 'wrong version in a partial header');
    assert.equal(readSni(Buffer.from([0x16])).kind, 'more');
  });

  it('refuses ambiguous or malformed names: two host names, a duplicated extension, bad characters, a trailing dot', () => {
    assert.equal(readSni(clientHello({ names: ['a.test', 'b.test'] })).kind, 'invalid');
    const sni = (n: string) => Buffer.concat([Buffer.from([0, 0, 0, n.length + 5, 0, n.length + 3, 0, 0, n.length]), Buffer.from(n)]);
    assert.equal(readSni(clientHello({ names: ['a.test'], extensionsBefore: [sni('b.test')] })).kind, 'invalid');
    for (const bad of ['kontor.test.', 'kon tor.test', 'kontor..test', '-kontor.test', 'kontör.test', 'x'.repeat(64) + '.test', '']) {
      assert.equal(readSni(clientHello({ names: [bad] })).kind, 'invalid', JSON.stringify(bad));
    }
    assert.deepEqual(readSni(clientHello({ names: ['xn--kontr-jua.test'] })), { kind: 'name', name: 'xn--kontr-jua.test' });
  });

  it('refuses a ClientHello larger than the bound, as soon as its length is known', () => {
    const head = Buffer.from([0x16, 3, 1, 0x40, 0x00, 1, 0x00, 0x40, 0x01]);
    assert.equal(MAX_HELLO_BYTES, 16 * 1024);
    assert.deepEqual(readSni(head), { kind: 'invalid', reason: 'ClientHello too large' });
    assert.equal(readSni(Buffer.from([0x16, 3, 1, 0x40, 0x01])).kind, 'invalid', 'a record above 16 KiB');
    assert.equal(readSni(Buffer.from([0x16, 3, 1, 0, 0])).kind, 'invalid', 'an empty record');
  });

  it('never throws on random bytes or a corrupted real hello, and any name it returns is a valid host name (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const r = readSni(Buffer.from(bytes));
      assert.ok(['more', 'none', 'invalid', 'name'].includes(r.kind));
      if (r.kind === 'name') assert.match(r.name, /^[a-z0-9.-]+$/);
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.integer({ min: 0, max: real.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
      const copy = Buffer.from(real);
      copy[at] = value;
      const r = readSni(copy);
      if (r.kind === 'name') assert.match(r.name, /^[a-z0-9-]+(\.[a-z0-9-]+)*$/);
    }), { numRuns: 2000 });
  });

  it('is a pure function of the bytes it is given: extra bytes after the ClientHello change nothing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
      assert.deepEqual(readSni(Buffer.concat([real, Buffer.from(tail)])), readSni(real));
    }));
  });
});
