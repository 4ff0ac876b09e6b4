import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Every file of a backup (or export) with its size and SHA-256, so a changed byte is found before anything is restored. */
export interface FileEntry {
  path: string;
  size: number;
  sha256: string;
}

export const MANIFEST = 'manifest.json';

/** Backups hold customer data and the installation's secrets: readable by the operator only. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

export class BackupRefused extends Error {}

/** Copies one file (streamed, so a 1 GB relation segment never sits in memory) and returns what was written. */
export async function copyHashed(from: string, to: string, relative: string): Promise<FileEntry> {
  const hash = createHash('sha256');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  // A file that grows or shrinks while it is read (the server writes on): the copy is what the manifest describes.
  // Opened before the target exists: a source that vanished (ENOENT) leaves nothing behind.
  const handle = await fs.promises.open(from, 'r');
  const source = handle.createReadStream();
  await pipeline(source, count, fs.createWriteStream(to, { mode: FILE_MODE, flags: 'wx' }));
  return { path: relative, size, sha256: hash.digest('hex') };
}

export async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

export function makePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  fs.chmodSync(dir, DIR_MODE);
}

/** A target that must be new: missing, or an empty directory. */
export function assertEmptyOrMissing(dir: string, what: string): void {
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory()) throw new BackupRefused(`${what} ${dir} exists and is not a directory.`);
  const entries = fs.readdirSync(dir);
  if (entries.length > 0) throw new BackupRefused(`${what} ${dir} is not empty (it holds ${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); refusing to overwrite anything.`);
}

/** Every file under `root`, relative, in a stable order. */
export function listFiles(root: string, sub = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, sub), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = sub ? `${sub}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(root, rel));
    else out.push(rel);
  }
  return out;
}

/**
 * Compares a directory with the manifest's list: every listed file present with its size and hash,
 * nothing unlisted besides the manifest itself. Throws naming the first file that differs.
 */
export async function verifyFiles(root: string, files: FileEntry[]): Promise<void> {
  const listed = new Map(files.map((f) => [f.path, f]));
  for (const rel of listFiles(root)) {
    if (rel !== MANIFEST && !listed.has(rel)) throw new BackupRefused(`${rel} is not in the manifest: the backup was changed; refusing to restore.`);
  }
  for (const f of files) {
    const file = path.join(root, ...f.path.split('/'));
    if (!fs.existsSync(file)) throw new BackupRefused(`${f.path} is missing from the backup; refusing to restore.`);
    const actual = await hashFile(file);
    if (actual.size !== f.size) throw new BackupRefused(`${f.path} has ${actual.size} bytes, the manifest says ${f.size}: the backup is damaged; refusing to restore.`);
    if (actual.sha256 !== f.sha256) throw new BackupRefused(`${f.path} does not match its SHA-256 in the manifest: the backup is damaged; refusing to restore.`);
  }
}
