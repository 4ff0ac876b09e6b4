import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Clock } from '../clock.js';
import { loadConfig } from '../config.js';
import type { Logger } from '../log/logger.js';
import { renderMail, type Mail, type MailLocale } from './templates.js';

export type { Mail } from './templates.js';

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

/**
 * SMTP when SMTP_URL is set; otherwise .eml files in $KONTOR_HOME/outbox/ (mode 0600). `from`: config's
 * MAIL_FROM; `locale`: config's MAIL_LOCALE, the language for recipients who never chose one.
 */
export function createMailer(options: { smtpUrl?: string | undefined; from?: string; locale?: MailLocale; home: string; logger: Logger; clock: Clock }): Mailer {
  const { logger } = options;
  const FROM = options.from ?? loadConfig({}).mailFrom;
  const fallback = options.locale ?? loadConfig({}).mailLocale;
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    return {
      async send(mail) {
        const { locale, subject, text } = renderMail(mail, fallback);
        await transport.sendMail({ from: FROM, to: mail.to, subject, text });
        logger.info({ template: mail.template, locale }, 'mail sent');
      },
    };
  }
  const outbox = path.join(options.home, 'outbox');
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const { locale, subject, text } = renderMail(mail, fallback);
      const info = await transport.sendMail({ from: FROM, to: mail.to, subject, text });
      fs.mkdirSync(outbox, { recursive: true, mode: 0o700 });
      const name = `${options.clock.now().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
      fs.writeFileSync(path.join(outbox, `${name}.eml`), info.message as Buffer, { mode: 0o600 });
      // The .eml is MIME-encoded (long links get soft line breaks); the .txt twin reads as is.
      fs.writeFileSync(path.join(outbox, `${name}.txt`), `To: ${mail.to}\nSubject: ${subject}\n\n${text}`, { mode: 0o600 });
      logger.info({ template: mail.template, locale }, 'mail queued');
    },
  };
}

/** Sends without making the caller wait or fail: used where timing must not reveal whether mail went out. */
export function sendInBackground(mailer: Mailer, mail: Mail, logger: Logger): void {
  mailer.send(mail).catch((err: unknown) => {
    logger.error({ template: mail.template, errName: (err as Error).name }, 'mail failed');
  });
}
