/**
 * The one thing the relay reads from a browser: the server name (SNI, RFC 6066) in the TLS
 * ClientHello (RFC 8446 4.1.2), which travels in clear before any key is agreed. Nothing is
 * decrypted and nothing after the ClientHello is looked at. Pure and bounded: it reads at most
 * MAX_HELLO_BYTES and answers "need more" until the whole ClientHello has arrived, which may be
 * split across several TLS records and any number of TCP segments.
 */

/** A ClientHello with post-quantum key shares is about 2 KB; TLS caps one record at 16 KiB. */
export const MAX_HELLO_BYTES = 16 * 1024;
const RECORD_HEADER = 5;
const MAX_RECORD = 16 * 1024;
const CONTENT_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0x0000;
const NAME_TYPE_HOST = 0x00;

export type SniResult =
  | { kind: 'more' }
  | { kind: 'name'; name: string }
  | { kind: 'none' }
  | { kind: 'invalid'; reason: string };

const more: SniResult = { kind: 'more' };
const invalid = (reason: string): SniResult => ({ kind: 'invalid', reason });

/**
 * Reads the SNI host name from the first bytes a client sent. `kind: 'more'` asks for more
 * bytes (the caller bounds how long it waits and stops at MAX_HELLO_BYTES + headers); `none` is a
 * well-formed ClientHello without a host name; `invalid` anything else (not TLS, not a
 * ClientHello, lengths that do not add up, a malformed or duplicated name).
 */
export function readSni(bytes: Buffer): SniResult {
  const hello = handshakeMessage(bytes);
  if ('kind' in hello) return hello;
  return clientHelloSni(hello.body);
}

/** Joins the handshake records at the start of `bytes` until the first handshake message is whole. */
function handshakeMessage(bytes: Buffer): SniResult | { body: Buffer } {
  const fragments: Buffer[] = [];
  let have = 0;
  let offset = 0;
  let needed: number | undefined;
  for (;;) {
    if (bytes.length - offset < RECORD_HEADER) return bytes.length - offset > 0 ? checkPartialHeader(bytes.subarray(offset)) : more;
    const type = bytes[offset]!;
    const major = bytes[offset + 1]!;
    const length = bytes.readUInt16BE(offset + 3);
    if (type !== CONTENT_HANDSHAKE) return invalid('not a TLS handshake record');
    if (major !== 0x03) return invalid('not a TLS record version');
    if (length === 0 || length > MAX_RECORD) return invalid('bad record length');
    const end = offset + RECORD_HEADER + length;
    const available = Math.min(end, bytes.length);
    fragments.push(bytes.subarray(offset + RECORD_HEADER, available));
    have += available - offset - RECORD_HEADER;
    if (needed === undefined && have >= 4) {
      const head = Buffer.concat(fragments).subarray(0, 4);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return invalid('first handshake message is not a ClientHello');
      needed = 4 + head.readUIntBE(1, 3);
      if (needed > MAX_HELLO_BYTES) return invalid('ClientHello too large');
    }
    if (needed !== undefined && have >= needed) return { body: Buffer.concat(fragments).subarray(4, needed) };
    if (available < end) return more;
    offset = end;
  }
}

/** Up to four bytes of a record header: wrong already, or wait for the rest. */
function checkPartialHeader(head: Buffer): SniResult {
  if (head[0] !== CONTENT_HANDSHAKE) return invalid('not a TLS handshake record');
  if (head.length > 1 && head[1] !== 0x03) return invalid('not a TLS record version');
  return more;
}

/** A bounds-checked reader: every read past the end throws, turned into `invalid` by the caller. */
class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  get left(): number {
    return this.buf.length - this.at;
  }

  bytes(n: number): Buffer {
    if (n > this.left) throw new RangeError('truncated');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  u8(): number {
    return this.bytes(1)[0]!;
  }

  u16(): number {
    return this.bytes(2).readUInt16BE(0);
  }

  vector8(): Buffer {
    return this.bytes(this.u8());
  }

  vector16(): Buffer {
    return this.bytes(this.u16());
  }
}

function clientHelloSni(body: Buffer): SniResult {
  try {
    const r = new Reader(body);
    r.bytes(2 + 32); // legacy_version, random
    if (r.vector8().length > 32) return invalid('session id too long');
    const suites = r.vector16();
    if (suites.length < 2 || suites.length % 2 !== 0) return invalid('bad cipher suites');
    if (r.vector8().length < 1) return invalid('no compression method');
    if (r.left === 0) return { kind: 'none' };
    const extensions = new Reader(r.vector16());
    if (r.left !== 0) return invalid('bytes after the extensions');
    const seen = new Set<number>();
    let name: string | undefined;
    while (extensions.left > 0) {
      const type = extensions.u16();
      const data = extensions.vector16();
      if (seen.has(type)) return invalid('duplicate extension');
      seen.add(type);
      if (type !== EXTENSION_SERVER_NAME) continue;
      const parsed = serverName(data);
      if (typeof parsed !== 'string') return parsed;
      name = parsed;
    }
    return name === undefined ? { kind: 'none' } : { kind: 'name', name };
  } catch (err) {
    if (err instanceof RangeError) return invalid('truncated ClientHello');
    throw err;
  }
}

/** The server_name extension: exactly one host_name entry, a valid DNS name (RFC 6066 section 3). */
function serverName(data: Buffer): string | SniResult {
  const outer = new Reader(data);
  const list = new Reader(outer.vector16());
  if (outer.left !== 0) return invalid('bytes after the server name list');
  let host: string | undefined;
  while (list.left > 0) {
    const type = list.u8();
    const value = list.vector16();
    if (type !== NAME_TYPE_HOST) continue;
    if (host !== undefined) return invalid('more than one host name');
    host = value.toString('latin1');
    if (!isHostName(host)) return invalid('malformed host name');
  }
  return host === undefined ? { kind: 'none' } : host.toLowerCase();
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** A DNS host name in ASCII (IDNs arrive as A-labels): letters, digits, hyphens; no trailing dot. */
export function isHostName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => LABEL.test(label));
}
