import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The file name the backup includes; do not rename. */
export const CHECKPOINT_KEY_FILE = 'checkpoint-key.pem';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM: what the bank's auditor is given. */
  publicKeyPem: string;
  /** First 16 hex digits of the SHA-256 of the public key (DER): names the key in each checkpoint. */
  keyId: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/**
 * The Ed25519 key that signs checkpoints. It exists only as a file (never in the database): the
 * operator's own (`AUDIT_SIGNING_KEY_FILE`) or one generated at first start into
 * `$KONTOR_HOME/checkpoint-key.pem` (PKCS#8 PEM, mode 0600).
 */
export function loadOrCreateSigningKey(home: string, keyFile?: string): SigningKey {
  const file = keyFile ?? path.join(home, CHECKPOINT_KEY_FILE);
  if (!fs.existsSync(file)) {
    if (keyFile) throw new Error('AUDIT_SIGNING_KEY_FILE: the file does not exist');
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    // wx: never overwrite a key another process created meanwhile.
    try {
      fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(fs.readFileSync(file));
  } catch {
    throw new Error(`${keyFile ? 'AUDIT_SIGNING_KEY_FILE' : CHECKPOINT_KEY_FILE}: not a readable private key (PKCS#8 PEM)`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the checkpoint signing key must be an Ed25519 key');
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string, keyId: keyIdOf(publicKey) };
}

/** A public key given as a PEM file's path, PEM text, or base64 SPKI DER. */
export function readPublicKey(given: string): KeyObject {
  let text = given;
  if (!given.includes('-----BEGIN') && fs.existsSync(given)) text = fs.readFileSync(given, 'utf8');
  const key = text.includes('-----BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text.trim(), 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the public key must be an Ed25519 key');
  return key;
}
