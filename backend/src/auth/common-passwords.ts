import { dictionary as common } from '@zxcvbn-ts/language-common';
import { dictionary as german } from '@zxcvbn-ts/language-de';

/**
 * The blocklist of common passwords (NIST SP 800-63B-4: breached passwords, dictionary words),
 * shipped as data in two npm packages of the zxcvbn-ts project (MIT, see licenses/): from
 * @zxcvbn-ts/language-common the frequency list of passwords from breach corpora (~49 000), from
 * @zxcvbn-ts/language-de German common words, Wikipedia words, first and last names (~81 000).
 * About 117 000 entries after folding; nothing is fetched at sign-in. Built once, on first use.
 */
let list: ReadonlySet<string> | undefined;

const MANUAL_GERMAN = [
  // German favourites the lists lack (kept from the first hand-written list).
  'passwort', 'kennwort', 'sparkasse', 'willkommen', 'ichliebedich', 'meinpasswort', 'qwertz', 'qwertzuiop',
  'schalke', 'bayernmuenchen', 'fussball', 'schatzi', 'mausi', 'zugang', 'anfang',
];

export function commonPasswords(): ReadonlySet<string> {
  list ??= new Set(
    [common['passwords-common'], ...Object.values(german), MANUAL_GERMAN].flatMap((words) => words.map(fold)),
  );
  return list;
}

/** Case, Unicode compatibility forms and German umlauts folded: "Müller" and "MUELLER" are one entry. */
export function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue').replace(/ß/g, 'ss');
}

// Leetspeak: the usual stand-ins for letters. '1' and '!' may mean 'i' or 'l'; both are tried.
const LEET: Record<string, string> = { '0': 'o', '2': 'z', '3': 'e', '4': 'a', '5': 's', '6': 'g', '7': 't', '8': 'b', '9': 'g', '@': 'a', $: 's', '€': 'e', '+': 't', '|': 'l' };
const unleet = (text: string, one: 'i' | 'l') => [...text].map((c) => (c === '1' || c === '!' ? one : LEET[c] ?? c)).join('');

/** The shortest word a password may be reduced to and still count as that word (shorter cores match too much). */
const MIN_CORE = 4;

/**
 * The forms a password is looked up in: folded as typed, and its core — digits, symbols and spaces
 * at both ends removed ("Passwort1234!" → "passwort") — also with leetspeak undone ("P@ssw0rt" →
 * "passwort"). So "passwort1234", "Sparkasse2026!" and "!!Schalke04" all hit the list.
 */
export function candidates(password: string): string[] {
  const folded = fold(password);
  const forms = new Set([folded, folded.trim()]);
  const core = stripEnds(folded);
  // Leetspeak may also stand at the start ("4dm1n2024"): drop the tail, undo it, then drop the head.
  const leetHead = folded.replace(TAIL, '');
  for (const form of [core, unleet(core, 'i'), unleet(core, 'l'), stripEnds(unleet(leetHead, 'i')), stripEnds(unleet(leetHead, 'l'))]) {
    if (form.length >= MIN_CORE) forms.add(form);
  }
  return [...forms];
}

const HEAD = /^[^\p{L}]+/u;
const TAIL = /[^\p{L}]+$/u;
const stripEnds = (text: string) => text.replace(HEAD, '').replace(TAIL, '');

/** True if the password, or what it reduces to, is on the list. */
export function isCommonPassword(password: string): boolean {
  const set = commonPasswords();
  return candidates(password).some((form) => set.has(form));
}
