import { dictionary } from '@zxcvbn-ts/language-common';

let list: ReadonlySet<string> | undefined;

/**
 * The shipped list of common passwords: zxcvbn-ts's frequency list (about 49 000 entries from
 * breach corpora), plus German favourites that list lacks. Compared case-insensitively.
 */
export function commonPasswords(): ReadonlySet<string> {
  list ??= new Set([
    ...(dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()),
    ...GERMAN,
  ]);
  return list;
}

const GERMAN = [
  'passwort', 'passwort1', 'passwort123', 'hallo', 'hallo123', 'hallo1234', 'schatz', 'schalke04', 'fussball',
  'fußball', 'sparkasse', 'sparkasse1', 'sparkasse123', 'geheim', 'geheim123', 'willkommen', 'willkommen1',
  'willkommen123', 'sommer', 'sommer2024', 'sommer2025', 'sommer2026', 'winter2025', 'winter2026', 'herbst2026',
  'fruehling2026', 'ichliebedich', 'meinpasswort', 'mausi', 'schatzi', 'bayern', 'bayernmuenchen', 'borussia',
  'dortmund09', 'deutschland', 'berlin', 'hamburg', 'muenchen', 'koeln', 'qwertz', 'qwertzuiop', 'asdfghjkl',
  'startstart', 'anfang123', 'kennwort', 'kennwort1', 'zugang', 'zugang123', 'bank1234', 'sparkasse2026',
];
