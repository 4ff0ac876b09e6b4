import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type ApiService from 'frontend/services/api';
import type { SessionRow } from 'frontend/components/sessions-table';

export default class SessionsRoute extends Route {
  @service declare api: ApiService;

  model(): Promise<SessionRow[]> {
    return this.api.get<SessionRow[]>('/auth/sessions');
  }
}
