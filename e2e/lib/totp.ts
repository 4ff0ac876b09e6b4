import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** RFC 6238 (SHA-1, 6 digits, 30 s) in a few lines, as an authenticator app computes it. */
export function totpCode(secretBase32: string, step: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secretBase32.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * The seeds the e2e "phones" hold, shared by all suites of one run (each suite is its own
 * process), with the last step used: the server accepts each code once, so a second sign-in in
 * the same 30 s uses the next step's code, and a third waits for the clock.
 */
const book = () => path.join(path.dirname(process.env.E2E_KONTOR_HOME!), 'e2e-factors.json');

function read(): Record<string, { secret: string; lastStep: number }> {
  return fs.existsSync(book()) ? JSON.parse(fs.readFileSync(book(), 'utf8')) : {};
}

export function rememberFactor(email: string, secret: string, usedStep: number): void {
  fs.writeFileSync(book(), JSON.stringify({ ...read(), [email]: { secret, lastStep: usedStep } }));
}

export function hasFactor(email: string): boolean {
  return Boolean(read()[email]);
}

export async function nextCode(email: string): Promise<string> {
  const entry = read()[email];
  if (!entry) throw new Error(`no authenticator seed for ${email}`);
  const now = () => Math.floor(Date.now() / 30_000);
  const step = Math.max(now(), entry.lastStep + 1);
  while (step > now() + 1) await new Promise((r) => setTimeout(r, 1000));
  rememberFactor(email, entry.secret, step);
  return totpCode(entry.secret, step);
}

export function currentStep(): number {
  return Math.floor(Date.now() / 30_000);
}
