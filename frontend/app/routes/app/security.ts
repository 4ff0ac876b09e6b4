import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type ApiService from 'frontend/services/api';
import type { FactorStatus } from 'frontend/components/second-factor-setup';

export default class SecurityRoute extends Route {
  @service declare api: ApiService;

  model(): Promise<FactorStatus> {
    return this.api.get<FactorStatus>('/auth/totp');
  }
}
