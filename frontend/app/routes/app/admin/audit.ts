import AuditPageRoute from 'frontend/utils/audit-route';

export default class AdminAuditRoute extends AuditPageRoute {
  readonly kind = 'events';
}
