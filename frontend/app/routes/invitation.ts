import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type IntlService from 'ember-intl/services/intl';
import { ApiError } from 'frontend/services/api';
import type ApiService from 'frontend/services/api';
import type LocaleService from 'frontend/services/locale';
import type { PasswordPolicy } from 'frontend/services/session';
import { errorMessage } from 'frontend/utils/error-message';

export interface InvitationModel {
  token: string;
  /** Whose link it is and their bank's password rules; null when the link is not good. */
  info: { email: string; tenantName: string; passwordPolicy: PasswordPolicy } | null;
  /** What is wrong with the link, said at once (used, expired, malformed), or why it could not be checked. */
  problem: string | null;
}

export default class InvitationRoute extends Route {
  @service declare locale: LocaleService;
  @service declare api: ApiService;
  @service declare intl: IntlService;

  beforeModel(): Promise<void> {
    return this.locale.loadAll();
  }

  async model(params: { token: string }): Promise<InvitationModel> {
    try {
      const info = await this.api.post<InvitationModel['info']>('/auth/invitation/check', { token: params.token }, { expectUnauthenticated: true });
      return { token: params.token, info, problem: null };
    } catch (err) {
      const bad = err instanceof ApiError && err.status === 400;
      return { token: params.token, info: null, problem: bad ? this.intl.t('invitation.invalid') : errorMessage(this.intl, err) };
    }
  }
}
