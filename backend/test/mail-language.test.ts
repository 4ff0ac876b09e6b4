import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { containerRetention } from '../src/containers/retention.js';
import { inTenant, inWholeTenant } from '../src/db/tenant-transaction.js';
import { createMailer, type Mailer } from '../src/mail/mailer.js';
import * as templates from '../src/mail/templates.js';
import { MAIL_LOCALES, MAIL_TEMPLATES, PLACEHOLDER, renderMail, type Mail, type MailLocale, type TemplateKey } from '../src/mail/templates.js';
import { runRecertification } from '../src/recertification/recertification-service.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { defaultDepartment } from './helpers/departments.js';
import { capturingLogger } from './helpers/logger.js';
import { MailCatcher, type CaughtMail } from './helpers/mail.js';

/** Issue 15: every mail in exactly one language, the recipient's (users.locale), else MAIL_LOCALE. */

const DAY = 86_400_000;
const vendorFacts = { requester: 'sam@vendor.example', minutes: 90, reason: 'import of products fails', link: 'https://kontor.example/admin/vendor-access' };

/** One sample per template, built through the functions the senders call. */
const SAMPLES: Record<TemplateKey, (to: templates.Recipient) => Mail> = {
  account_locked: (to) => templates.accountLockedMail(to),
  factor_reset: (to) => templates.factorResetMail(to),
  recovery_code: (to) => templates.recoveryCodeMail(to, '12345678', 10),
  invitation: (to) => templates.invitationMail(to, 'https://kontor.example/invitation/abc', 'invitation', 72),
  password_reset: (to) => templates.invitationMail(to, 'https://kontor.example/invitation/abc', 'reset', 72),
  container_retention_warning: (to) => templates.containerRetentionMail(to, ['Q4 Privatkunden', 'Q3'], 30),
  audit_shipping_stopped: (to) => templates.auditShippingMail(to, 'stopped', 12),
  audit_shipping_resumed: (to) => templates.auditShippingMail(to, 'resumed', 12),
  vendor_access_pending: (to) => templates.vendorAccessMail(to, 'pending', { ...vendorFacts, ticket: null }),
  vendor_access_emergency_pending: (to) => templates.vendorAccessMail(to, 'emergency_pending', { ...vendorFacts, ticket: 'INC-4711' }),
  vendor_access_started: (to) => templates.vendorAccessMail(to, 'started', { ...vendorFacts, ticket: null }),
  vendor_access_emergency_approved: (to) => templates.vendorAccessMail(to, 'emergency_approved', { ...vendorFacts, ticket: 'INC-4711' }),
  vendor_access_approved: (to) => templates.vendorAccessDecisionMail(to, 'approved', 'Sparkasse Nord', 1440),
  vendor_access_denied: (to) => templates.vendorAccessDecisionMail(to, 'denied', 'Sparkasse Nord', 60),
  // 23:30 UTC on 30 March is already 31 March in the bank's time zone.
  recertification_reminder: (to) => templates.recertificationReminderMail(to, 1234, new Date('2026-03-30T23:30:00Z')),
  deactivation_notice: (to) => templates.deactivationNoticeMail(to, 7),
};

/** A sentence only the German and only the English mail of each kind holds (numbers and dates as each locale writes them). */
const DISTINCTIVE: Record<TemplateKey, Record<MailLocale, string>> = {
  account_locked: { de: 'Nach mehreren fehlgeschlagenen Anmeldeversuchen wurde Ihr Zugang gesperrt.', en: 'Your account was locked after several failed sign-in attempts.' },
  factor_reset: { de: 'alle Ihre Sitzungen wurden beendet', en: 'all your sessions have been ended' },
  recovery_code: { de: 'Ihr Code lautet: 12345678\nEr ist 10 Minuten gültig', en: 'Your code is: 12345678\nIt is valid for 10 minutes' },
  invitation: { de: 'Für Sie wurde ein Kontor-Zugang angelegt.', en: 'A Kontor account has been created for you.' },
  password_reset: { de: 'Ihre Administration hat das Zurücksetzen Ihres Passworts veranlasst.', en: 'Your administrator has started a reset of your password.' },
  container_retention_warning: { de: 'werden in 30 Tagen gemäß Ihrer Aufbewahrungsfrist automatisch gelöscht:\n  - Q4 Privatkunden', en: 'will be deleted automatically in 30 days under your retention period:\n  - Q4 Privatkunden' },
  audit_shipping_stopped: { de: 'seit 12 Minuten nicht an den Syslog-Server übertragen', en: 'has not been able to ship audit records to the syslog server for 12 minutes' },
  audit_shipping_resumed: { de: 'nach 12 Minuten Unterbrechung', en: 'again (after 12 minutes)' },
  vendor_access_pending: { de: 'bittet um Zugriff auf die Daten Ihres Instituts', en: 'asks for access to your bank\'s data' },
  vendor_access_emergency_pending: { de: 'hat einen Notfallzugriff (höchstens 60 Minuten) beantragt', en: 'filed an emergency access request (at most 60 minutes)' },
  vendor_access_started: { de: 'hat soeben Zugriff auf die Daten Ihres Instituts erhalten', en: 'has just been given access to your bank\'s data' },
  vendor_access_emergency_approved: { de: 'hat den Notfallzugriff freigegeben; er läuft ab jetzt', en: 'approved the emergency access; it runs from now' },
  vendor_access_approved: { de: 'Sparkasse Nord hat Ihren Zugriff für 1.440 Minuten freigegeben', en: 'Sparkasse Nord approved your access for 1,440 minutes' },
  vendor_access_denied: { de: 'Sparkasse Nord hat Ihre Zugriffsanfrage abgelehnt', en: 'Sparkasse Nord denied your access request' },
  recertification_reminder: { de: 'war bis 31. März 2026 fällig; für 1.234 Personen', en: 'was due on March 31, 2026; 1,234 people' },
  deactivation_notice: { de: 'nicht innerhalb von 7 Tagen anmelden', en: 'If you do not sign in within 7 days' },
};

const other = (l: MailLocale): MailLocale => (l === 'de' ? 'en' : 'de');

/** Exactly one language: this kind's sentence and subject in `locale`, nothing of the other's. */
function assertOnly(m: CaughtMail, kind: TemplateKey, locale: MailLocale): void {
  const o = other(locale);
  assert.equal(m.subject, MAIL_TEMPLATES[kind][locale].subject, `${kind}: the ${locale} subject`);
  assert.ok(m.text.includes(DISTINCTIVE[kind][locale]), `${kind}: the ${locale} sentence in\n${m.text}`);
  assert.ok(!m.text.includes(DISTINCTIVE[kind][o]), `${kind}: no ${o} sentence in a ${locale} mail`);
  assert.ok(!m.subject.includes(MAIL_TEMPLATES[kind][o].subject), `${kind}: no ${o} subject`);
}

describe('the template table', () => {
  const placeholders = (s: string) => [...s.matchAll(PLACEHOLDER)].map((m) => m[1]!).sort();

  it('has every template in German and English with the same placeholders, and a sample and sentences for each', () => {
    for (const [key, byLocale] of Object.entries(MAIL_TEMPLATES)) {
      assert.deepEqual(Object.keys(byLocale).sort(), [...MAIL_LOCALES].sort(), `${key}: both languages`);
      const [de, en] = [byLocale.de, byLocale.en].map((t) => placeholders(`${t.subject}\n${t.text}`));
      assert.deepEqual(new Set(de), new Set(en), `${key}: the same placeholders in both languages`);
      for (const l of MAIL_LOCALES) assert.ok(byLocale[l].subject.trim() && byLocale[l].text.trim(), `${key}/${l}: not empty`);
    }
    assert.deepEqual(Object.keys(SAMPLES).sort(), Object.keys(MAIL_TEMPLATES).sort(), 'every template has a sample here');
  });

  it('fills every placeholder in both languages and follows the recipient, else the fallback', () => {
    for (const [key, sample] of Object.entries(SAMPLES) as [TemplateKey, (typeof SAMPLES)[TemplateKey]][]) {
      for (const l of MAIL_LOCALES) {
        const r = renderMail(sample({ email: 'a@bank.example', locale: l }), other(l));
        assert.equal(r.locale, l, `${key}: the recipient's language wins over the fallback`);
        assert.doesNotMatch(`${r.subject}\n${r.text}`, /\{\w+\}/, `${key}/${l}: nothing left unfilled`);
        assert.equal(renderMail(sample('b@bank.example'), l).locale, l, `${key}: an address without a language gets the fallback`);
      }
    }
    assert.throws(() => renderMail({ to: 'a@bank.example', template: 'recovery_code', locale: 'de', values: { minutes: 10 } }, 'de'), /\{code\}/);
  });

  it('makes strings from data inert: no new lines, no direction overrides, bounded; a null leaves its line out', () => {
    const bank = 'Sparkasse\r\n\r\nKlicken Sie hier: https://evil.example\u202e';
    const r = renderMail(templates.vendorAccessDecisionMail({ email: 'a@bank.example', locale: 'de' }, 'denied', bank, 5), 'de');
    assert.ok(r.text.startsWith('Sparkasse Klicken Sie hier: https://evil.example hat Ihre Zugriffsanfrage abgelehnt.'), r.text);
    assert.ok(!r.text.includes('\u202e') && !r.text.includes('\r'));
    const long = renderMail(templates.containerRetentionMail('a@bank.example', ['x'.repeat(5000)], 30), 'en');
    assert.ok(long.text.length < 1200, 'a value is bounded');
    const noTicket = renderMail(SAMPLES.vendor_access_pending({ email: 'a@bank.example', locale: 'en' }), 'de');
    assert.doesNotMatch(noTicket.text, /Ticket/);
    assert.match(renderMail(SAMPLES.vendor_access_emergency_pending('a@bank.example'), 'de').text, /\nTicket: INC-4711\n/);
  });
});

let t: TestKontor;
const catcher = new MailCatcher();
let mailer: Mailer;
let smtpUrl: string;
before(async () => {
  t = await startTestKontor();
  smtpUrl = await catcher.start();
  mailer = createMailer({ smtpUrl, home: '/nonexistent', logger: capturingLogger().logger, clock: t.clock });
});
after(async () => {
  await catcher.stop();
  await t.close();
});

async function withLocale(u: TestUser, locale: MailLocale | null): Promise<TestUser> {
  await t.owner('users').where({ id: u.id }).update({ locale });
  return u;
}

/** The one mail of this kind to this address; fails when there is none or more than one, or several addresses in To. */
async function onlyMail(email: string, kind: TemplateKey): Promise<CaughtMail> {
  const subjects: string[] = MAIL_LOCALES.map((l) => MAIL_TEMPLATES[kind][l].subject);
  const mine = (m: CaughtMail) => m.to.includes(email) && subjects.includes(m.subject);
  await catcher.waitFor(mine);
  await new Promise((r) => setTimeout(r, 100));
  const all = catcher.mails.filter(mine);
  assert.equal(all.length, 1, `one ${kind} mail to ${email}`);
  assert.equal(all[0]!.to, email, 'addressed to this recipient alone');
  return all[0]!;
}

describe('every mail kind through SMTP in exactly one language', () => {
  it('a German user gets German only, an English user English only, one who never chose MAIL_LOCALE', async () => {
    const en = createMailer({ smtpUrl, locale: 'en', home: '/nonexistent', logger: capturingLogger().logger, clock: t.clock });
    const sends: Promise<void>[] = [];
    for (const [kind, sample] of Object.entries(SAMPLES) as [TemplateKey, (typeof SAMPLES)[TemplateKey]][]) {
      sends.push(mailer.send(sample({ email: `de-${kind}@bank.example`, locale: 'de' })));
      sends.push(mailer.send(sample({ email: `en-${kind}@bank.example`, locale: 'en' })));
      sends.push(en.send(sample({ email: `unset-${kind}@bank.example`, locale: null })));
    }
    await Promise.all(sends);
    for (const kind of Object.keys(SAMPLES) as TemplateKey[]) {
      assertOnly(await onlyMail(`de-${kind}@bank.example`, kind), kind, 'de');
      assertOnly(await onlyMail(`en-${kind}@bank.example`, kind), kind, 'en');
      assertOnly(await onlyMail(`unset-${kind}@bank.example`, kind), kind, 'en');
    }
  });
});

describe('each recipient of one event gets their own language', () => {
  it('the retention warning: a German and an English admin of the same bank, one mail each', async () => {
    const deAdmin = await withLocale(await createTenantWithUser(t, { roles: ['tenant_admin'], settings: { retention_days: 365 } }), 'de');
    const enAdmin = await withLocale(await addUser(t, deAdmin.tenantId, { roles: ['tenant_admin'] }), 'en');
    const departmentId = await defaultDepartment(t.owner, deAdmin.tenantId);
    const now = t.clock.now().getTime();
    await inWholeTenant(t.owner, deAdmin.tenantId, (trx) => trx('containers').insert({
      tenant_id: deAdmin.tenantId, department_id: departmentId, name: 'Q4 Privatkunden', created_at: new Date(now - 800 * DAY), last_import_at: new Date(now - 340 * DAY),
    }));
    await containerRetention({ db: t.db, clock: t.clock, logger: capturingLogger().logger, mailer }, [deAdmin.tenantId]);
    const de = await onlyMail(deAdmin.email, 'container_retention_warning');
    assertOnly(de, 'container_retention_warning', 'de');
    assert.match(de.text, /\n {2}- Q4 Privatkunden\n/);
    assertOnly(await onlyMail(enAdmin.email, 'container_retention_warning'), 'container_retention_warning', 'en');
  });

  it('the recertification reminder to each admin and the deactivation notice to each dormant user, in their languages', async () => {
    const deAdmin = await withLocale(await createTenantWithUser(t, { roles: ['tenant_admin'] }), 'de');
    const tenantId = deAdmin.tenantId;
    const enAdmin = await withLocale(await addUser(t, tenantId, { roles: ['tenant_admin'] }), 'en');
    const c = new Client(t.url);
    assert.equal((await c.login(deAdmin.email, deAdmin.password)).status, 200);
    const started = await c.post('/api/recertifications', { scope: 'admins' });
    assert.equal(started.status, 201);
    await inTenant(t.owner, tenantId, (trx) => trx('recertifications').where({ id: started.body.id }).update({
      started_at: new Date('2026-03-01T08:00:00Z'), due_at: new Date('2026-03-30T23:30:00Z'),
    }));
    const dormantDe = await withLocale(await addUser(t, tenantId, { roles: ['reader'] }), 'de');
    const dormantEn = await withLocale(await addUser(t, tenantId, { roles: ['reader'] }), 'en');
    const start = Date.now();
    await t.owner('users').whereIn('id', [dormantDe.id, dormantEn.id]).update({ created_at: new Date(start - 200 * DAY), last_login_at: new Date(start - 85 * DAY) });

    const outcome = await runRecertification({ db: t.db, clock: t.clock, mailer, logger: capturingLogger().logger, tenantIds: [tenantId] }, new Date(start));
    assert.deepEqual([outcome.reminded, outcome.announced], [1, 2]);
    const de = await onlyMail(deAdmin.email, 'recertification_reminder');
    assert.match(de.text, /war bis 31\. März 2026 fällig; für 2 Personen/);
    assert.doesNotMatch(de.text, /people still need/);
    const en = await onlyMail(enAdmin.email, 'recertification_reminder');
    assert.match(en.text, /was due on March 31, 2026; 2 people/);
    assert.doesNotMatch(en.text, /fehlt noch/);
    assertOnly(await onlyMail(dormantDe.email, 'deactivation_notice'), 'deactivation_notice', 'de');
    assertOnly(await onlyMail(dormantEn.email, 'deactivation_notice'), 'deactivation_notice', 'en');
  });

  it('the lock mail follows the locked user\'s language', async () => {
    const u = await withLocale(await createTenantWithUser(t), 'en');
    for (let i = 1; i <= 4; i++) assert.equal((await new Client(t.url).login(u.email, `wrong-${i}-password`)).status, 401);
    const mail = await t.mail.waitFor((m) => m.to.includes(u.email));
    assert.equal(mail.subject, MAIL_TEMPLATES.account_locked.en.subject);
    assert.ok(mail.text.includes(DISTINCTIVE.account_locked.en));
    assert.ok(!mail.text.includes(DISTINCTIVE.account_locked.de));
  });
});
