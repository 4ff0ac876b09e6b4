/**
 * Every mail Kontor sends, German and English side by side (issue 15). A mail goes out in exactly
 * one language: the recipient's `users.locale`, else the operator's `MAIL_LOCALE` (default German).
 * Texts carry `{name}` placeholders; the values are filled in at sending time in the recipient's
 * locale (numbers and dates) and, when they are strings, made inert (see `plain`).
 */

export const MAIL_LOCALES = ['de', 'en'] as const;
export type MailLocale = (typeof MAIL_LOCALES)[number];

/** A recipient: the address alone (no account, language unknown), or with the language the user chose (null: not chosen). */
export type Recipient = string | { email: string; locale: MailLocale | null };

interface Text {
  subject: string;
  text: string;
}

const VENDOR_FACTS = {
  de: 'Wer: {requester}\nDauer: {minutes} Minuten\nGrund: {reason}\nTicket: {ticket}\n\nAlle Zugriffe und was dabei angesehen wurde: {link}',
  en: 'Who: {requester}\nDuration: {minutes} minutes\nReason: {reason}\nTicket: {ticket}\n\nEvery access and what was looked at: {link}',
};

export const MAIL_TEMPLATES = {
  account_locked: {
    de: {
      subject: 'Ihr Kontor-Zugang wurde gesperrt',
      text: 'Nach mehreren fehlgeschlagenen Anmeldeversuchen wurde Ihr Zugang gesperrt.\n' +
        'Sie können ihn selbst entsperren: Wählen Sie auf der Anmeldeseite "Passwort vergessen" und folgen Sie den Schritten.\n' +
        'Waren Sie das nicht? Dann informieren Sie bitte Ihre Administration.',
    },
    en: {
      subject: 'Your Kontor account has been locked',
      text: 'Your account was locked after several failed sign-in attempts.\n' +
        'You can unlock it yourself: choose "Forgot password" on the sign-in page and follow the steps.\n' +
        'If this was not you, please tell your administrator.',
    },
  },
  factor_reset: {
    de: {
      subject: 'Ihr zweiter Faktor für Kontor wurde zurückgesetzt',
      text: 'Eine Administratorin oder ein Administrator hat Ihren zweiten Faktor (Authenticator-App) entfernt; alle Ihre Sitzungen wurden beendet.\n' +
        'Melden Sie sich mit Ihrem Passwort an und richten Sie den zweiten Faktor unter "Sicherheit" neu ein.\n' +
        'Haben Sie das nicht veranlasst? Dann informieren Sie bitte sofort Ihre Administration.',
    },
    en: {
      subject: 'Your Kontor second factor has been reset',
      text: 'An administrator removed your second factor (authenticator app); all your sessions have been ended.\n' +
        'Sign in with your password and set up the second factor again under "Security".\n' +
        'If you did not ask for this, please tell your administrator at once.',
    },
  },
  recovery_code: {
    de: {
      subject: 'Ihr Kontor-Wiederherstellungscode',
      text: 'Ihr Code lautet: {code}\nEr ist {minutes} Minuten gültig und kann einmal verwendet werden.\n' +
        'Haben Sie keinen Code angefordert? Dann ignorieren Sie diese Nachricht; Ihr Passwort bleibt unverändert.',
    },
    en: {
      subject: 'Your Kontor recovery code',
      text: 'Your code is: {code}\nIt is valid for {minutes} minutes and can be used once.\n' +
        'Did not ask for a code? Ignore this message; your password stays unchanged.',
    },
  },
  invitation: {
    de: {
      subject: 'Einladung zu Kontor',
      text: 'Für Sie wurde ein Kontor-Zugang angelegt. Legen Sie Ihr Passwort hier fest ({hours} Stunden gültig, einmal verwendbar):\n{link}',
    },
    en: {
      subject: 'Invitation to Kontor',
      text: 'A Kontor account has been created for you. Set your password here (valid for {hours} hours, single use):\n{link}',
    },
  },
  password_reset: {
    de: {
      subject: 'Neues Kontor-Passwort festlegen',
      text: 'Ihre Administration hat das Zurücksetzen Ihres Passworts veranlasst. Legen Sie hier ein neues fest ({hours} Stunden gültig, einmal verwendbar):\n{link}',
    },
    en: {
      subject: 'Set a new Kontor password',
      text: 'Your administrator has started a reset of your password. Set a new one here (valid for {hours} hours, single use):\n{link}',
    },
  },
  container_retention_warning: {
    de: {
      subject: 'Kontor: Datencontainer werden bald gelöscht',
      text: 'Die folgenden Datencontainer Ihres Instituts werden in {days} Tagen gemäß Ihrer Aufbewahrungsfrist automatisch gelöscht:\n{containers}\n' +
        'Wenn Sie einen Container behalten müssen, sperren Sie ihn in Kontor (Schloss-Symbol) oder führen Sie eine neue Berechnung aus.',
    },
    en: {
      subject: 'Kontor: data containers will be deleted soon',
      text: 'The following data containers of your bank will be deleted automatically in {days} days under your retention period:\n{containers}\n' +
        'To keep a container, lock it in Kontor or run a new calculation on it.',
    },
  },
  audit_shipping_stopped: {
    de: {
      subject: 'Kontor: Protokollversand an Syslog gestört',
      text: 'Kontor konnte Protokolleinträge seit {minutes} Minuten nicht an den Syslog-Server übertragen. Die Einträge bleiben in Kontor gespeichert und werden nachgeliefert, sobald der Server wieder erreichbar ist. Der Betreiber ist informiert.',
    },
    en: {
      subject: 'Kontor: audit shipping to syslog has stopped',
      text: 'Kontor has not been able to ship audit records to the syslog server for {minutes} minutes. The records stay in Kontor and are sent as soon as the server is reachable again. The operator has been told.',
    },
  },
  audit_shipping_resumed: {
    de: {
      subject: 'Kontor: Protokollversand wieder in Ordnung',
      text: 'Der Versand der Protokolleinträge an den Syslog-Server läuft wieder (nach {minutes} Minuten Unterbrechung); ausstehende Einträge wurden nachgeliefert.',
    },
    en: {
      subject: 'Kontor: audit shipping has resumed',
      text: 'Audit records are being shipped to the syslog server again (after {minutes} minutes); the records held back have been sent.',
    },
  },
  vendor_access_pending: {
    de: {
      subject: 'Kontor: Der Hersteller bittet um Zugriff',
      text: 'Ein Mitarbeiter des Herstellers bittet um Zugriff auf die Daten Ihres Instituts. Der Zugriff beginnt erst, wenn eine Administratorin oder ein Administrator ihn freigibt.\n\n' + VENDOR_FACTS.de,
    },
    en: {
      subject: 'Kontor: the vendor asks for access',
      text: 'A member of the vendor\'s staff asks for access to your bank\'s data. Access starts only when one of your administrators approves it.\n\n' + VENDOR_FACTS.en,
    },
  },
  vendor_access_emergency_pending: {
    de: {
      subject: 'Kontor: Notfallzugriff des Herstellers beantragt',
      text: 'Ein Mitarbeiter des Herstellers hat einen Notfallzugriff (höchstens 60 Minuten) beantragt. Ein zweiter Mitarbeiter des Herstellers muss ihn freigeben; Sie können ihn ablehnen oder jederzeit beenden.\n\n' + VENDOR_FACTS.de,
    },
    en: {
      subject: 'Kontor: the vendor filed an emergency access request',
      text: 'A member of the vendor\'s staff filed an emergency access request (at most 60 minutes). A second member of the vendor\'s staff must approve it; you can deny it or end it at any time.\n\n' + VENDOR_FACTS.en,
    },
  },
  vendor_access_started: {
    de: {
      subject: 'Kontor: Der Hersteller greift auf Ihre Daten zu',
      text: 'Ein Mitarbeiter des Herstellers hat soeben Zugriff auf die Daten Ihres Instituts erhalten (Ihre Einstellung: benachrichtigen). Sie können den Zugriff jederzeit beenden.\n\n' + VENDOR_FACTS.de,
    },
    en: {
      subject: 'Kontor: the vendor is accessing your data',
      text: 'A member of the vendor\'s staff has just been given access to your bank\'s data (your setting: notify). You can end the access at any time.\n\n' + VENDOR_FACTS.en,
    },
  },
  vendor_access_emergency_approved: {
    de: {
      subject: 'Kontor: Notfallzugriff des Herstellers freigegeben',
      text: 'Ein zweiter Mitarbeiter des Herstellers hat den Notfallzugriff freigegeben; er läuft ab jetzt. Sie können ihn jederzeit beenden.\n\n' + VENDOR_FACTS.de,
    },
    en: {
      subject: 'Kontor: vendor emergency access approved',
      text: 'A second member of the vendor\'s staff approved the emergency access; it runs from now. You can end it at any time.\n\n' + VENDOR_FACTS.en,
    },
  },
  vendor_access_approved: {
    de: { subject: 'Kontor: Zugriff freigegeben', text: '{bank} hat Ihren Zugriff für {minutes} Minuten freigegeben. Wechseln Sie jetzt im Kontomenü in das Institut.' },
    en: { subject: 'Kontor: access approved', text: '{bank} approved your access for {minutes} minutes. Switch into the bank from the account menu now.' },
  },
  vendor_access_denied: {
    de: { subject: 'Kontor: Zugriff abgelehnt', text: '{bank} hat Ihre Zugriffsanfrage abgelehnt.' },
    en: { subject: 'Kontor: access denied', text: '{bank} denied your access request.' },
  },
  recertification_reminder: {
    de: {
      subject: 'Kontor: Rezertifizierung überfällig',
      text: 'Eine Rezertifizierung der Zugriffsrechte Ihres Instituts war bis {due} fällig; für {open} Personen fehlt noch die Entscheidung.\n' +
        'Öffnen Sie in Kontor "Verwaltung > Rezertifizierung" und bestätigen oder entziehen Sie die Rechte.',
    },
    en: {
      subject: 'Kontor: recertification overdue',
      text: 'A recertification of your bank\'s access rights was due on {due}; {open} people still need a decision.\n' +
        'Open "Administration > Recertification" in Kontor and confirm or revoke their rights.',
    },
  },
  deactivation_notice: {
    de: {
      subject: 'Ihr Kontor-Zugang wird bald deaktiviert',
      text: 'Sie haben sich lange nicht bei Kontor angemeldet. Wenn Sie sich nicht innerhalb von {days} Tagen anmelden, wird Ihr Zugang deaktiviert; danach kann ihn nur Ihre Administration wieder freischalten.',
    },
    en: {
      subject: 'Your Kontor account will be deactivated soon',
      text: 'You have not signed in to Kontor for a long time. If you do not sign in within {days} days, your account will be deactivated; after that only your administrator can reactivate it.',
    },
  },
} as const satisfies Record<string, Record<MailLocale, Text>>;

export type TemplateKey = keyof typeof MAIL_TEMPLATES;

/**
 * A value for a placeholder: a string (made inert), a number or date (in the recipient's locale),
 * a list (one indented line per item), or null (the line holding the placeholder is left out).
 */
export type MailValue = string | number | Date | readonly string[] | null;

/** A mail before its language is settled; the mailer renders it (`renderMail`) in exactly one language. */
export interface Mail {
  to: string;
  /** Also the fixed name for the log line; the log never carries the address or the text. */
  template: TemplateKey;
  /** The recipient's chosen language; null: the mailer's MAIL_LOCALE. */
  locale: MailLocale | null;
  values: Readonly<Record<string, MailValue>>;
}

const INTL_TAGS: Record<MailLocale, string> = { de: 'de-DE', en: 'en-US' };
/** Dates are days in the bank's calendar: Kontor serves German savings banks. */
export const MAIL_TIME_ZONE = 'Europe/Berlin';
const MAX_VALUE_CHARS = 500;

/**
 * A string from data (names, reasons, addresses) as inert text: control and line-break characters
 * and bidirectional overrides become spaces, so a value cannot start a new line, fake a paragraph
 * or a link line, or reorder what is shown around it; and it is bounded.
 */
export function plain(value: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ').trim();
  return flat.length > MAX_VALUE_CHARS ? `${flat.slice(0, MAX_VALUE_CHARS - 1)}…` : flat;
}

function format(value: Exclude<MailValue, null>, locale: MailLocale): string {
  const tag = INTL_TAGS[locale];
  if (typeof value === 'number') return new Intl.NumberFormat(tag).format(value);
  if (value instanceof Date) return new Intl.DateTimeFormat(tag, { dateStyle: 'long', timeZone: MAIL_TIME_ZONE }).format(value);
  if (typeof value === 'string') return plain(value);
  return value.map((item) => `  - ${plain(item)}`).join('\n');
}

export const PLACEHOLDER = /\{(\w+)\}/g;

function fill(template: string, values: Mail['values'], locale: MailLocale): string {
  const lines = template.split('\n').filter((line) => ![...line.matchAll(PLACEHOLDER)].some((m) => values[m[1]!] === null));
  return lines.join('\n').replace(PLACEHOLDER, (_all, name: string) => {
    const value = values[name];
    if (value === undefined || value === null) throw new Error(`mail placeholder {${name}} without a value`);
    return format(value, locale);
  });
}

/** Subject and text in one language: the mail's own, else `fallback` (the operator's MAIL_LOCALE). */
export function renderMail(mail: Mail, fallback: MailLocale): { locale: MailLocale; subject: string; text: string } {
  const locale = mail.locale ?? fallback;
  const t: Text = MAIL_TEMPLATES[mail.template][locale];
  return { locale, subject: fill(t.subject, mail.values, locale), text: `${fill(t.text, mail.values, locale)}\n\n--\nKontor\n` };
}

function mail(template: TemplateKey, recipient: Recipient, values: Mail['values'] = {}): Mail {
  if (typeof recipient === 'string') return { template, to: recipient, locale: null, values };
  return { template, to: recipient.email, locale: recipient.locale, values };
}

export function accountLockedMail(to: Recipient): Mail {
  return mail('account_locked', to);
}

export function factorResetMail(to: Recipient): Mail {
  return mail('factor_reset', to);
}

export function recoveryCodeMail(to: Recipient, code: string, minutes: number): Mail {
  return mail('recovery_code', to, { code, minutes });
}

export function invitationMail(to: Recipient, link: string, purpose: 'invitation' | 'reset', hours: number): Mail {
  return mail(purpose === 'invitation' ? 'invitation' : 'password_reset', to, { link, hours });
}

export function containerRetentionMail(to: Recipient, containers: string[], days: number): Mail {
  return mail('container_retention_warning', to, { containers, days });
}

/** Audit shipping (issue 16): the syslog copy fell behind, or caught up again. */
export function auditShippingMail(to: Recipient, state: 'stopped' | 'resumed', minutes: number): Mail {
  return mail(state === 'stopped' ? 'audit_shipping_stopped' : 'audit_shipping_resumed', to, { minutes });
}

/** Vendor access to a bank (issue 17): what the bank's admins are told, and when. */
export function vendorAccessMail(
  to: Recipient,
  kind: 'pending' | 'emergency_pending' | 'started' | 'emergency_approved',
  a: { requester: string; minutes: number; reason: string; ticket: string | null; link: string },
): Mail {
  return mail(`vendor_access_${kind}`, to, { requester: a.requester, minutes: a.minutes, reason: a.reason, ticket: a.ticket, link: a.link });
}

/** The requester learns the bank's decision. */
export function vendorAccessDecisionMail(to: Recipient, decision: 'approved' | 'denied', bank: string, minutes: number): Mail {
  return mail(decision === 'approved' ? 'vendor_access_approved' : 'vendor_access_denied', to, decision === 'approved' ? { bank, minutes } : { bank });
}

/** Recertification (issue 17): a campaign is past its due date with users not yet decided. */
export function recertificationReminderMail(to: Recipient, open: number, dueAt: Date): Mail {
  return mail('recertification_reminder', to, { open, due: dueAt });
}

/** A dormant account is announced a week before it is deactivated. */
export function deactivationNoticeMail(to: Recipient, days: number): Mail {
  return mail('deactivation_notice', to, { days });
}
