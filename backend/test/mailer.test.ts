import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { systemClock } from '../src/clock.js';
import { createMailer } from '../src/mail/mailer.js';
import { invitationMail } from '../src/mail/templates.js';
import { capturingLogger } from './helpers/logger.js';

describe('outbox mailer (no SMTP_URL)', () => {
  it('writes the mail as .eml and a readable .txt, both 0600, and logs no address', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-outbox-'));
    const { logger, lines } = capturingLogger();
    const link = `https://kontor.bank.example/invitation/${'x'.repeat(60)}`;
    await createMailer({ home, logger, clock: systemClock }).send(invitationMail('nora@bank.example', link, 'invitation', 24));
    const files = fs.readdirSync(path.join(home, 'outbox')).sort();
    assert.deepEqual(files.map((f) => path.extname(f)), ['.eml', '.txt']);
    for (const f of files) assert.equal(fs.statSync(path.join(home, 'outbox', f)).mode & 0o777, 0o600);
    const txt = fs.readFileSync(path.join(home, 'outbox', files[1]!), 'utf8');
    assert.ok(txt.includes(link), 'the link is whole in the .txt');
    assert.match(txt, /^To: nora@bank\.example/);
    assert.ok(!lines.join('').includes('nora@bank.example'));
    fs.rmSync(home, { recursive: true });
  });
});
