/** Which rights make a role privileged under four-eyes (issue 17 item 2). */

/** In a bank: customer-level export, and power over accounts or security settings. */
export function isPrivilegedTenantRight(right: string): boolean {
  const [area, access] = right.split(':');
  return area === 'export' || (access === 'write' && (area === 'users' || area === 'settings'));
}

/** At the vendor: any write on the platform (tenants, roles, vendor users). */
export function isPrivilegedVendorRight(right: string): boolean {
  return right.startsWith('platform.') && right.endsWith(':write');
}

export function privilegedRoles<R extends { rights: string[] }>(roles: R[], vendor = false): R[] {
  const test = vendor ? isPrivilegedVendorRight : isPrivilegedTenantRight;
  return roles.filter((r) => r.rights.some(test));
}
