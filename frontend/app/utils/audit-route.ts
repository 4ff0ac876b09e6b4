import Route from '@ember/routing/route';
import { service } from '@ember/service';
import type RouterService from '@ember/routing/router-service';
import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import { loadAudit, type AuditKind, type AuditModel } from 'frontend/utils/audit';
import { requireAny } from 'frontend/utils/guard-route';

/** The audit log and the sign-in records: the same right, the first page of their kind. */
export default abstract class AuditPageRoute extends Route {
  @service declare session: SessionService;
  @service declare router: RouterService;
  @service declare api: ApiService;

  abstract readonly kind: AuditKind;

  beforeModel(): void {
    requireAny(this.session, this.router, [['audit', 'read']]);
  }

  model(): Promise<AuditModel> {
    return loadAudit(this.api, this.kind);
  }
}
