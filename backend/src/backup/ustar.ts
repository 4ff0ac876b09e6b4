import fs from 'node:fs';
import { Readable } from 'node:stream';

/**
 * The few lines of POSIX ustar that a tenant export needs: regular files only, written with a
 * fixed owner and time (so two exports of the same rows are the same bytes) and read back by
 * offset. Any `tar tf` lists the file; no dependency is needed for 512-byte headers.
 */
const BLOCK = 512;
const MAX_SIZE = 8 ** 11 - 1;

function header(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  if (size > MAX_SIZE) throw new Error(`tar entry too large: ${name}`);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write('0000600\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** Appends files to a new tar file (refusing to overwrite one), mode 0600. */
export class TarWriter {
  private readonly fd: number;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'wx', 0o600);
  }

  addFile(name: string, source: string): void {
    const size = fs.statSync(source).size;
    fs.writeSync(this.fd, header(name, size));
    const src = fs.openSync(source, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      let pos = 0;
      while (pos < size) {
        const n = fs.readSync(src, buf, 0, Math.min(buf.length, size - pos), pos);
        if (n === 0) throw new Error(`${source} shrank while it was archived`);
        fs.writeSync(this.fd, buf, 0, n);
        pos += n;
      }
    } finally {
      fs.closeSync(src);
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) fs.writeSync(this.fd, Buffer.alloc(pad));
  }

  close(): void {
    fs.writeSync(this.fd, Buffer.alloc(BLOCK * 2));
    fs.closeSync(this.fd);
  }
}

export interface TarEntry {
  name: string;
  offset: number;
  size: number;
}

/** Lists a tar file's regular entries with where their bytes are. */
export function readTarIndex(file: string): TarEntry[] {
  const fd = fs.openSync(file, 'r');
  try {
    const total = fs.fstatSync(fd).size;
    const entries: TarEntry[] = [];
    const h = Buffer.alloc(BLOCK);
    let pos = 0;
    while (pos + BLOCK <= total) {
      fs.readSync(fd, h, 0, BLOCK, pos);
      if (h.every((b) => b === 0)) break;
      const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      const size = parseInt(h.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
      const stored = parseInt(h.subarray(148, 156).toString('ascii').replace(/\0.*$/s, '').trim(), 8);
      h.write('        ', 148);
      let sum = 0;
      for (const b of h) sum += b;
      if (!Number.isFinite(size) || sum !== stored || h[156] !== 0x30 || pos + BLOCK + size > total) {
        throw new Error(`not a Kontor tenant export: damaged tar header at byte ${pos}`);
      }
      entries.push({ name, offset: pos + BLOCK, size });
      pos += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    }
    return entries;
  } finally {
    fs.closeSync(fd);
  }
}

export function readEntry(file: string, entry: TarEntry): Readable {
  return entry.size === 0 ? Readable.from([]) : fs.createReadStream(file, { start: entry.offset, end: entry.offset + entry.size - 1 });
}
