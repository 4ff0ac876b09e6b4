/** GET /api/auth/directory: the bank whose directory serves the typed address's domain. */
export interface DirectoryLookup {
  tenantId: string;
  bankName: string;
  method: 'oidc' | 'ldap';
  required: boolean;
}
