import type { Mail } from './mailer.js';

/** A recipient: the address alone, or with the language the user chose in the SPA (null: not chosen). */
export type Recipient = string | { email: string; locale: 'de' | 'en' | null };

/**
 * Plain texts in the recipient's chosen language; both (German first) when Kontor does not know it
 * (nobody chose yet, or the address has no account).
 */
function bilingual(template: string, recipient: Recipient, subject: [string, string], de: string, en: string): Mail {
  const to = typeof recipient === 'string' ? recipient : recipient.email;
  const locale = typeof recipient === 'string' ? null : recipient.locale;
  if (locale === 'de') return { template, to, subject: subject[0], text: `${de}\n\n--\nKontor\n` };
  if (locale === 'en') return { template, to, subject: subject[1], text: `${en}\n\n--\nKontor\n` };
  return {
    template,
    to,
    subject: `${subject[0]} / ${subject[1]}`,
    text: `${de}\n\n-- English --\n\n${en}\n\n--\nKontor\n`,
  };
}

export function accountLockedMail(to: Recipient): Mail {
  return bilingual(
    'account_locked',
    to,
    ['Ihr Kontor-Zugang wurde gesperrt', 'Your Kontor account has been locked'],
    'Nach mehreren fehlgeschlagenen Anmeldeversuchen wurde Ihr Zugang gesperrt.\n' +
      'Sie können ihn selbst entsperren: Wählen Sie auf der Anmeldeseite "Passwort vergessen" und folgen Sie den Schritten.\n' +
      'Waren Sie das nicht? Dann informieren Sie bitte Ihre Administration.',
    'Your account was locked after several failed sign-in attempts.\n' +
      'You can unlock it yourself: choose "Forgot password" on the sign-in page and follow the steps.\n' +
      'If this was not you, please tell your administrator.',
  );
}

export function factorResetMail(to: Recipient): Mail {
  return bilingual(
    'factor_reset',
    to,
    ['Ihr zweiter Faktor für Kontor wurde zurückgesetzt', 'Your Kontor second factor has been reset'],
    'Eine Administratorin oder ein Administrator hat Ihren zweiten Faktor (Authenticator-App) entfernt; alle Ihre Sitzungen wurden beendet.\n' +
      'Melden Sie sich mit Ihrem Passwort an und richten Sie den zweiten Faktor unter "Sicherheit" neu ein.\n' +
      'Haben Sie das nicht veranlasst? Dann informieren Sie bitte sofort Ihre Administration.',
    'An administrator removed your second factor (authenticator app); all your sessions have been ended.\n' +
      'Sign in with your password and set up the second factor again under "Security".\n' +
      'If you did not ask for this, please tell your administrator at once.',
  );
}

export function recoveryCodeMail(to: Recipient, code: string, minutes: number): Mail {
  return bilingual(
    'recovery_code',
    to,
    ['Ihr Kontor-Wiederherstellungscode', 'Your Kontor recovery code'],
    `Ihr Code lautet: ${code}\nEr ist ${minutes} Minuten gültig und kann einmal verwendet werden.\n` +
      'Haben Sie keinen Code angefordert? Dann ignorieren Sie diese Nachricht; Ihr Passwort bleibt unverändert.',
    `Your code is: ${code}\nIt is valid for ${minutes} minutes and can be used once.\n` +
      'Did not ask for a code? Ignore this message; your password stays unchanged.',
  );
}

export function invitationMail(to: Recipient, link: string, purpose: 'invitation' | 'reset', hours: number): Mail {
  return purpose === 'invitation'
    ? bilingual(
        'invitation',
        to,
        ['Einladung zu Kontor', 'Invitation to Kontor'],
        `Für Sie wurde ein Kontor-Zugang angelegt. Legen Sie Ihr Passwort hier fest (${hours} Stunden gültig, einmal verwendbar):\n${link}`,
        `A Kontor account has been created for you. Set your password here (valid for ${hours} hours, single use):\n${link}`,
      )
    : bilingual(
        'password_reset',
        to,
        ['Neues Kontor-Passwort festlegen', 'Set a new Kontor password'],
        `Ihre Administration hat das Zurücksetzen Ihres Passworts veranlasst. Legen Sie hier ein neues fest (${hours} Stunden gültig, einmal verwendbar):\n${link}`,
        `Your administrator has started a reset of your password. Set a new one here (valid for ${hours} hours, single use):\n${link}`,
      );
}

export function containerRetentionMail(to: Recipient, containers: string[], days: number): Mail {
  const list = containers.map((c) => `  - ${c}`).join('\n');
  return bilingual(
    'container_retention_warning',
    to,
    ['Kontor: Datencontainer werden bald gelöscht', 'Kontor: data containers will be deleted soon'],
    `Die folgenden Datencontainer Ihres Instituts werden in ${days} Tagen gemäß Ihrer Aufbewahrungsfrist automatisch gelöscht:\n${list}\n` +
      'Wenn Sie einen Container behalten müssen, sperren Sie ihn in Kontor (Schloss-Symbol) oder führen Sie eine neue Berechnung aus.',
    `The following data containers of your bank will be deleted automatically in ${days} days under your retention period:\n${list}\n` +
      'To keep a container, lock it in Kontor or run a new calculation on it.',
  );
}

/** Audit shipping (issue 16): the syslog copy fell behind, or caught up again. */
export function auditShippingMail(to: Recipient, state: 'stopped' | 'resumed', minutes: number): Mail {
  return state === 'stopped'
    ? bilingual(
      'audit_shipping_stopped',
      to,
      ['Kontor: Protokollversand an Syslog gestört', 'Kontor: audit shipping to syslog has stopped'],
      `Kontor konnte Protokolleinträge seit ${minutes} Minuten nicht an den Syslog-Server übertragen. Die Einträge bleiben in Kontor gespeichert und werden nachgeliefert, sobald der Server wieder erreichbar ist. Der Betreiber ist informiert.`,
      `Kontor has not been able to ship audit records to the syslog server for ${minutes} minutes. The records stay in Kontor and are sent as soon as the server is reachable again. The operator has been told.`,
    )
    : bilingual(
      'audit_shipping_resumed',
      to,
      ['Kontor: Protokollversand wieder in Ordnung', 'Kontor: audit shipping has resumed'],
      `Der Versand der Protokolleinträge an den Syslog-Server läuft wieder (nach ${minutes} Minuten Unterbrechung); ausstehende Einträge wurden nachgeliefert.`,
      `Audit records are being shipped to the syslog server again (after ${minutes} minutes); the records held back have been sent.`,
    );
}

/** Vendor access to a bank (issue 17): what the bank's admins are told, and when. */
export function vendorAccessMail(
  to: Recipient,
  kind: 'pending' | 'emergency_pending' | 'started' | 'emergency_approved',
  a: { requester: string; minutes: number; reason: string; ticket: string | null; link: string },
): Mail {
  const ticket = a.ticket ? `\nTicket: ${a.ticket}` : '';
  const facts = (lang: 'de' | 'en') => lang === 'de'
    ? `Wer: ${a.requester}\nDauer: ${a.minutes} Minuten\nGrund: ${a.reason}${ticket}\n\nAlle Zugriffe und was dabei angesehen wurde: ${a.link}`
    : `Who: ${a.requester}\nDuration: ${a.minutes} minutes\nReason: ${a.reason}${ticket}\n\nEvery access and what was looked at: ${a.link}`;
  const texts = {
    pending: [['Kontor: Der Hersteller bittet um Zugriff', 'Kontor: the vendor asks for access'],
      'Ein Mitarbeiter des Herstellers bittet um Zugriff auf die Daten Ihres Instituts. Der Zugriff beginnt erst, wenn eine Administratorin oder ein Administrator ihn freigibt.',
      'A member of the vendor\'s staff asks for access to your bank\'s data. Access starts only when one of your administrators approves it.'],
    emergency_pending: [['Kontor: Notfallzugriff des Herstellers beantragt', 'Kontor: the vendor filed an emergency access request'],
      'Ein Mitarbeiter des Herstellers hat einen Notfallzugriff (höchstens 60 Minuten) beantragt. Ein zweiter Mitarbeiter des Herstellers muss ihn freigeben; Sie können ihn ablehnen oder jederzeit beenden.',
      'A member of the vendor\'s staff filed an emergency access request (at most 60 minutes). A second member of the vendor\'s staff must approve it; you can deny it or end it at any time.'],
    started: [['Kontor: Der Hersteller greift auf Ihre Daten zu', 'Kontor: the vendor is accessing your data'],
      'Ein Mitarbeiter des Herstellers hat soeben Zugriff auf die Daten Ihres Instituts erhalten (Ihre Einstellung: benachrichtigen). Sie können den Zugriff jederzeit beenden.',
      'A member of the vendor\'s staff has just been given access to your bank\'s data (your setting: notify). You can end the access at any time.'],
    emergency_approved: [['Kontor: Notfallzugriff des Herstellers freigegeben', 'Kontor: vendor emergency access approved'],
      'Ein zweiter Mitarbeiter des Herstellers hat den Notfallzugriff freigegeben; er läuft ab jetzt. Sie können ihn jederzeit beenden.',
      'A second member of the vendor\'s staff approved the emergency access; it runs from now. You can end it at any time.'],
  } as const;
  const [subject, de, en] = texts[kind];
  return bilingual(`vendor_access_${kind}`, to, [subject[0], subject[1]], `${de}\n\n${facts('de')}`, `${en}\n\n${facts('en')}`);
}

/** The requester learns the bank's decision. */
export function vendorAccessDecisionMail(to: Recipient, decision: 'approved' | 'denied', bank: string, minutes: number): Mail {
  return decision === 'approved'
    ? bilingual('vendor_access_approved', to, ['Kontor: Zugriff freigegeben', 'Kontor: access approved'],
      `${bank} hat Ihren Zugriff für ${minutes} Minuten freigegeben. Wechseln Sie jetzt im Kontomenü in das Institut.`,
      `${bank} approved your access for ${minutes} minutes. Switch into the bank from the account menu now.`)
    : bilingual('vendor_access_denied', to, ['Kontor: Zugriff abgelehnt', 'Kontor: access denied'],
      `${bank} hat Ihre Zugriffsanfrage abgelehnt.`, `${bank} denied your access request.`);
}

/** Recertification (issue 17): a campaign is past its due date with users not yet decided. */
export function recertificationReminderMail(to: Recipient, open: number, dueAt: Date): Mail {
  const due = dueAt.toISOString().slice(0, 10);
  return bilingual(
    'recertification_reminder',
    to,
    ['Kontor: Rezertifizierung überfällig', 'Kontor: recertification overdue'],
    `Eine Rezertifizierung der Zugriffsrechte Ihres Instituts war bis ${due} fällig; für ${open} Personen fehlt noch die Entscheidung.\n` +
      'Öffnen Sie in Kontor "Verwaltung > Rezertifizierung" und bestätigen oder entziehen Sie die Rechte.',
    `A recertification of your bank's access rights was due on ${due}; ${open} people still need a decision.\n` +
      'Open "Administration > Recertification" in Kontor and confirm or revoke their rights.',
  );
}

/** A dormant account is announced a week before it is deactivated. */
export function deactivationNoticeMail(to: Recipient, days: number): Mail {
  return bilingual(
    'deactivation_notice',
    to,
    ['Ihr Kontor-Zugang wird bald deaktiviert', 'Your Kontor account will be deactivated soon'],
    `Sie haben sich lange nicht bei Kontor angemeldet. Wenn Sie sich nicht innerhalb von ${days} Tagen anmelden, wird Ihr Zugang deaktiviert; danach kann ihn nur Ihre Administration wieder freischalten.`,
    `You have not signed in to Kontor for a long time. If you do not sign in within ${days} days, your account will be deactivated; after that only your administrator can reactivate it.`,
  );
}
