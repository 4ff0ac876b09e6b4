import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { TenantView } from 'frontend/components/tenants-admin';

export interface VendorUser {
  id: string;
  email: string;
  name: string;
  status: string;
  roleNames: string[];
  grants: { tenantId: string; tenantName: string }[];
}

export interface VendorRole {
  id: string;
  /** A built-in role's key (its name is then shown in the screen's language); null for custom roles. */
  key?: string | null;
  name: string;
  assignableInTenants: boolean;
  vendorOnly: boolean;
}

export interface VendorUsersModel {
  users: VendorUser[];
  /** Vendor roles (for the invitation) and bank roles (for a grant). */
  vendorRoles: VendorRole[];
  bankRoles: VendorRole[];
  /** Active banks a grant can be for; empty without the right to read tenants. */
  banks: TenantView[];
}

/** The vendor staff page's data, from the server on every visit. */
export async function loadVendorUsers(api: Pick<ApiService, 'get'>, session: SessionService): Promise<VendorUsersModel> {
  const [users, roles, tenants] = await Promise.all([
    api.get<VendorUser[]>('/platform/users'),
    api.get<VendorRole[]>('/roles'),
    session.can('platform.tenants', 'read') ? api.get<TenantView[]>('/platform/tenants') : Promise.resolve([]),
  ]);
  return {
    users,
    vendorRoles: roles.filter((r) => !r.assignableInTenants),
    bankRoles: roles.filter((r) => r.assignableInTenants && !r.vendorOnly),
    banks: tenants.filter((x) => !x.isVendor && x.active),
  };
}
