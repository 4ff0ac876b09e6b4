import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type ApiService from 'frontend/services/api';
import type { FactorStatus } from 'frontend/components/second-factor-setup';
import type { Passkey } from 'frontend/components/passkeys-list';

export interface SecurityModel {
  factor: FactorStatus;
  /** Null when the list could not be read; the passkeys part then says why, the rest of the page still works. */
  passkeys: Passkey[] | null;
  passkeysError: unknown;
}

export default class SecurityRoute extends Route {
  @service declare api: ApiService;

  async model(): Promise<SecurityModel> {
    const [factor, passkeys] = await Promise.all([
      this.api.get<FactorStatus>('/auth/totp'),
      this.api.get<Passkey[]>('/auth/passkeys').then(
        (list) => ({ list, error: null as unknown }),
        (error: unknown) => ({ list: null, error }),
      ),
    ]);
    return { factor, passkeys: passkeys.list, passkeysError: passkeys.error };
  }
}
