import Controller from '@ember/controller';

/** The OIDC callback comes back here: `?directoryError=<code>` on refusal, `?step=second-factor` for a code. */
export default class LoginController extends Controller {
  queryParams = ['directoryError', 'step'];
  directoryError: string | null = null;
  step: string | null = null;
}
