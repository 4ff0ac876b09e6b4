import fs from 'node:fs';
import { fail as refusal } from '../http/error-catalogue.js';
import path from 'node:path';
import type { Request } from 'express';
import { insufficientStorage } from '../containers/upload-slots.js';

const tooLarge = (maxBytes: number) => refusal('payload_too_large', { reason: 'file', limit: maxBytes });

/** How often a growing spool file looks at the free space again. */
const SPACE_CHECK_BYTES = 8 * 1024 ** 2;

/** Throws 507 when the spool's file system has less than `reserve` bytes free (it is created if need be). */
export function ensureFreeSpace(dir: string, reserve: number): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stats = fs.statfsSync(dir);
  if (stats.bavail * stats.bsize < reserve) throw insufficientStorage();
}

/**
 * Streams an upload to $KONTOR_HOME/spool/<id>.csv (mode 0600), never whole into memory.
 * Over `maxBytes` or on a dropped connection the partial file is deleted and nothing remains.
 */
export async function spoolUpload(req: Request, dir: string, id: string, maxBytes: number, checkSpace: () => void = () => undefined): Promise<{ file: string; bytes: number }> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${id}.csv`);
  const declared = Number(req.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  // A client that went away while the request was being checked has already fired its events: no file for it.
  if (req.destroyed || req.readableAborted) throw new Error('upload aborted');
  const out = fs.createWriteStream(file, { mode: 0o600, highWaterMark: 1 << 20 });
  let bytes = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        req.unpipe(out);
        out.destroy();
        reject(err);
      };
      let checkedAt = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          fail(tooLarge(maxBytes));
          req.resume();
          return;
        }
        if (bytes - checkedAt >= SPACE_CHECK_BYTES) {
          checkedAt = bytes;
          try {
            checkSpace();
          } catch (err) {
            fail(err as Error);
            req.resume();
          }
        }
      });
      req.on('aborted', () => fail(new Error('upload aborted')));
      // 'aborted' does not fire for every way a connection ends; a close before the body is complete is an abort too.
      req.on('close', () => {
        if (!req.complete) fail(new Error('upload aborted'));
      });
      req.on('error', fail);
      out.on('error', fail);
      out.on('finish', () => (failed ? undefined : resolve()));
      req.pipe(out);
    });
  } catch (err) {
    fs.rmSync(file, { force: true });
    throw err;
  }
  return { file, bytes };
}

/** Spool files left by a crash are deleted at the next start: customer data never lingers on disk. */
export function clearSpool(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.csv'));
  for (const f of files) fs.rmSync(path.join(dir, f), { force: true });
  return files.length;
}
