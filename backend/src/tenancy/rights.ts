/** The fixed catalogue of detail rights (DESIGN §2). Roles bundle these; nothing else grants access. */
export const TENANT_AREAS = ['containers', 'segmentation', 'leasing', 'export', 'users', 'audit', 'settings'] as const;
export const VENDOR_AREAS = ['platform.tenants', 'platform.roles', 'platform.users'] as const;
export const ACCESS_LEVELS = ['read', 'write'] as const;
export const MODULES = ['segmentation', 'leasing'] as const;

export type TenantArea = (typeof TENANT_AREAS)[number];
export type VendorArea = (typeof VENDOR_AREAS)[number];
export type Area = TenantArea | VendorArea;
export type Access = (typeof ACCESS_LEVELS)[number];
export type Module = (typeof MODULES)[number];
export type Right = `${Area}:${Access}`;

export function isVendorOnly(area: string): boolean {
  return (VENDOR_AREAS as readonly string[]).includes(area);
}

/** Holding `write` on an area implies `read` on it. */
export function holds(rights: ReadonlySet<string>, area: Area, access: Access): boolean {
  return rights.has(`${area}:${access}`) || (access === 'read' && rights.has(`${area}:write`));
}

/** Vendor-only rights count only in a session of the vendor tenant, never inside a bank's tenant. */
export function effectiveRights(rights: Iterable<string>, inVendorTenant: boolean): Set<string> {
  return new Set([...rights].filter((r) => inVendorTenant || !isVendorOnly(r.split(':')[0]!)));
}

export function isKnownRight(area: string, access: string): boolean {
  return ([...TENANT_AREAS, ...VENDOR_AREAS] as string[]).includes(area) && (ACCESS_LEVELS as readonly string[]).includes(access);
}
