/* Ed25519 keys for the relay (its host key) and for each Kontor installation (its tunnel key). */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import ssh2 from 'ssh2';

export interface KeyPair {
  /** OpenSSH private key (PEM-like text). */
  privateKey: string;
  /** One line as in authorized_keys: `ssh-ed25519 AAAA… comment`. */
  publicKey: string;
}

export function generateKeyPair(comment: string): KeyPair {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  return { privateKey: pair.private, publicKey: pair.public.trim() };
}

/** OpenSSH's notation (`ssh-keygen -lf`): SHA256 of the public key blob, base64 without padding. */
export function fingerprint(publicBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses an authorized_keys line; only ssh-ed25519 keys are accepted. */
export function parsePublicKey(line: string): { blob: Buffer; fingerprint: string } {
  const parsed = ssh2.utils.parseKey(line.trim());
  if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('not an OpenSSH public key line');
  if (parsed.type !== 'ssh-ed25519') throw new Error('only ssh-ed25519 keys are accepted');
  if (parsed.isPrivateKey()) throw new Error('a private key where a public key belongs');
  const blob = parsed.getPublicSSH();
  return { blob, fingerprint: fingerprint(blob) };
}

/** Reads an OpenSSH ed25519 private key file; returns its text and its public fingerprint. */
export function readPrivateKey(file: string): { text: string; fingerprint: string } {
  const text = fs.readFileSync(file, 'utf8');
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error || Array.isArray(parsed) || !parsed.isPrivateKey()) throw new Error(`${file} holds no private key`);
  if (parsed.type !== 'ssh-ed25519') throw new Error(`${file}: only ssh-ed25519 keys are accepted`);
  return { text, fingerprint: fingerprint(parsed.getPublicSSH()) };
}

/** Writes a new key pair: the private key readable by its owner only, never over an existing file. */
export function writeKeyPair(file: string, comment: string): KeyPair & { fingerprint: string } {
  const pair = generateKeyPair(comment);
  fs.writeFileSync(file, pair.privateKey, { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(`${file}.pub`, `${pair.publicKey}\n`, { mode: 0o644, flag: 'wx' });
  return { ...pair, fingerprint: parsePublicKey(pair.publicKey).fingerprint };
}
