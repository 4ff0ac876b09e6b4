import type IntlService from 'ember-intl/services/intl';
import { ApiError } from 'frontend/services/api';

/** Turns an API failure into a sentence, in the user's language, that says what happened and what to do next. */
export function errorMessage(intl: IntlService, err: unknown, overrides: Record<string, string> = {}, minLength = 12): string {
  if (!(err instanceof ApiError)) return intl.t('errors.generic', { message: String(err) });
  const key = overrides[err.code];
  if (key) return intl.t(key);
  if (err.code === 'weak_password' && err.reason && intl.exists(`password.rule.${err.reason}`)) {
    return intl.t(`password.rule.${err.reason}`, { min: minLength });
  }
  if (err.code === 'invalid_current_password') return intl.t('password.currentWrong');
  if (err.code === 'network_error') return intl.t('errors.network');
  if (err.code === 'busy') return intl.t('errors.busy');
  if (err.code === 'database_unavailable') return intl.t('errors.databaseUnavailable');
  if (err.code === 'invalid_text') return intl.t('errors.invalidText');
  if (intl.exists(`errors.${err.code}`)) return intl.t(`errors.${err.code}`);
  if (err.status === 403) return intl.t('errors.forbidden');
  return intl.t('errors.generic', { message: err.message });
}
