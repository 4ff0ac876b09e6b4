import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type ApiService from 'frontend/services/api';
import type { Approval } from 'frontend/components/approvals-list';

/** Four-eyes changes: every signed-in user sees the ones they proposed or may decide (the API filters). */
export default class AdminApprovalsRoute extends Route {
  @service declare api: ApiService;

  model(): Promise<Approval[]> {
    return this.api.get<Approval[]>('/approvals');
  }
}
