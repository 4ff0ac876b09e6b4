import type IntlService from 'ember-intl/services/intl';
import { ApiError } from 'frontend/services/api';

/**
 * What the server said, in the user's language. The server names a code (and a reason), with the
 * values its message is made of; the texts live under `errors.<code>` or `errors.<code>.<reason>`
 * (import reports under `importErrors.`, failed calculations under `calculationErrors.`), in
 * `frontend/translations/` or the lazily loaded `frontend/error-texts/`. A code this build does
 * not know yet falls back to the server's English message.
 */
export interface ServerMessage {
  code: string;
  message: string;
  reason?: string | undefined;
  field?: string | null | undefined;
  params?: Record<string, string | number> | undefined;
}

type Values = Record<string, string | number>;

/** The key of a code's text, the reason's own where it has one. */
function keyFor(intl: IntlService, namespace: string, code: string, reason: string | undefined): string | undefined {
  if (reason && intl.exists(`${namespace}.${code}.${reason}`)) return `${namespace}.${code}.${reason}`;
  return intl.exists(`${namespace}.${code}`) ? `${namespace}.${code}` : undefined;
}

/**
 * A field path of the API (`template.segments.0.rules.ageMax`) as the user reads it
 * ("Segment 1 › Rules › Maximum age"): each name under `fields.`, an index after a name under
 * `fields.<name>Item` with `{n}` counted from 1.
 */
export function fieldLabel(intl: IntlService, path: string): string {
  const parts = path.split('.');
  const labels: string[] = [];
  parts.forEach((part, i) => {
    if (/^\d+$/.test(part)) return;
    const next = parts[i + 1];
    if (next !== undefined && /^\d+$/.test(next)) {
      const n = Number(next) + 1;
      labels.push(intl.exists(`fields.${part}Item`) ? intl.t(`fields.${part}Item`, { n }) : `${part} ${n}`);
    } else {
      labels.push(intl.exists(`fields.${part}`) ? intl.t(`fields.${part}`) : part);
    }
  });
  return labels.join(' › ');
}

/** A message of the server (an error body, an import report entry, a failed run) in the user's language. */
export function serverMessage(intl: IntlService, m: ServerMessage, namespace = 'errors', extra: Values = {}): string {
  const key = keyFor(intl, namespace, m.code, m.reason);
  if (!key) return m.message;
  const values: Values = { ...(m.params ?? {}), ...extra };
  if (namespace === 'errors') {
    // Field names (the one to correct, and the one it is compared with) as the user reads them.
    if (m.field) values['field'] = fieldLabel(intl, m.field);
    if (typeof values['other'] === 'string') values['other'] = fieldLabel(intl, values['other']);
  }
  return intl.t(key, values);
}

/** Turns an API failure into a sentence, in the user's language, that says what happened and what to do next. */
export function errorMessage(intl: IntlService, err: unknown, overrides: Record<string, string> = {}): string {
  if (!(err instanceof ApiError)) return intl.t('errors.generic', { message: String(err) });
  const key = overrides[err.code];
  if (key) return intl.t(key);
  if (keyFor(intl, 'errors', err.code, err.reason)) return serverMessage(intl, err);
  if (err.status === 403) return intl.t('errors.forbidden');
  return intl.t('errors.generic', { message: err.message });
}
