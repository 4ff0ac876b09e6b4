import Controller from '@ember/controller';
import { tracked } from '@glimmer/tracking';
import type { HealthState } from 'frontend/utils/health';

/** The OIDC callback comes back here: `?directoryError=<code>` on refusal, `?step=second-factor` for a code. */
export default class LoginController extends Controller {
  queryParams = ['directoryError', 'step'];
  directoryError: string | null = null;
  step: string | null = null;
  /** Set by the route's health check; the form does not wait for it. */
  @tracked health: HealthState = 'checking';
}
