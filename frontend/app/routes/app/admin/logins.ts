import AuditPageRoute from 'frontend/utils/audit-route';

export default class AdminLoginsRoute extends AuditPageRoute {
  readonly kind = 'logins';
}
