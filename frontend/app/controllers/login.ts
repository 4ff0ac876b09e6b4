import Controller from '@ember/controller';
import { service } from '@ember/service';
import { tracked } from '@glimmer/tracking';
import type IntlService from 'ember-intl/services/intl';
import type { HealthState } from 'frontend/utils/health';

/** Refusals about a field to correct: a link has none, so the page says the general sentence. */
const FIELD_BOUND = new Set(['invalid_input', 'invalid_text']);

/**
 * The OIDC start and callback come back here: `?directoryError=<code>[&directoryReason=<reason>]`
 * on refusal, `?step=second-factor` for a code.
 */
export default class LoginController extends Controller {
  @service declare intl: IntlService;
  queryParams = ['directoryError', 'directoryReason', 'step'];
  directoryError: string | null = null;
  directoryReason: string | null = null;
  step: string | null = null;
  /** Set by the route's health check; the form does not wait for it. */
  @tracked health: HealthState = 'checking';

  /** The refusal as the form looks it up under `errors.`: with its reason where that has its own text. */
  get directoryErrorCode(): string | null {
    const code = this.directoryError;
    // A code without a text of its own: the form says its general sentence (login.directoryFailed).
    if (!code || FIELD_BOUND.has(code)) return code ? 'directory_failed' : null;
    const reason = this.directoryReason;
    return reason && this.intl.exists(`errors.${code}.${reason}`) ? `${code}.${reason}` : code;
  }
}
