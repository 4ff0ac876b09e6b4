import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface DroppedMail {
  to: string;
  subject: string;
  text: string;
}

/** A real SMTP server on loopback; each mail lands as a JSON file the test process can read. */
export async function startMailDrop(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  fs.mkdirSync(dir, { recursive: true });
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, done) {
      simpleParser(stream).then(
        (parsed) => {
          const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
          const mail: DroppedMail = { to: to ?? '', subject: parsed.subject ?? '', text: parsed.text ?? '' };
          fs.writeFileSync(path.join(dir, `${String(++n).padStart(5, '0')}.json`), JSON.stringify(mail));
          done();
        },
        (err: Error) => done(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** How many mails have arrived so far: pass it as `after` to wait only for newer ones. */
export function mailCount(dir: string): number {
  return fs.existsSync(dir) ? fs.readdirSync(dir).length : 0;
}

export async function waitForMail(dir: string, predicate: (m: DroppedMail) => boolean, after = 0, timeoutMs = 10_000): Promise<DroppedMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).sort().slice(after) : [];
    const mails = files.map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as DroppedMail);
    const found = mails.reverse().find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('expected mail did not arrive');
    await new Promise((r) => setTimeout(r, 200));
  }
}
