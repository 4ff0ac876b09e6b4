import type { Knex } from 'knex';
import type { Module } from './rights.js';

/** Tenants (banks and the vendor), their licences and vendor grants. Tenant-owned rows take a transaction in that tenant. */

export interface ModuleLicence {
  module: Module;
  validUntil: string | null;
}

export interface TenantListRow {
  id: string;
  name: string;
  is_vendor: boolean;
  deactivated_at: Date | null;
  created_at: Date;
  modules: { module: Module; validUntil: string | null }[];
  users: number | string;
}

export async function listTenants(db: Knex): Promise<TenantListRow[]> {
  return db('tenants as t')
    .leftJoin('tenant_modules as m', 'm.tenant_id', 't.id')
    .groupBy('t.id')
    .orderBy('t.name')
    .select<TenantListRow[]>(
      't.id', 't.name', 't.is_vendor', 't.deactivated_at', 't.created_at',
      db.raw("coalesce(json_agg(json_build_object('module', m.module, 'validUntil', m.valid_until) order by m.module) filter (where m.module is not null), '[]') as modules"),
      db.raw("(select count(*) from users u where u.tenant_id = t.id and u.status <> 'deleted') as users"),
    );
}

export async function findTenant(db: Knex, id: string): Promise<{ id: string; is_vendor: boolean } | undefined> {
  return db('tenants').where({ id }).first('id', 'is_vendor');
}

export async function findTenantByName(db: Knex, name: string): Promise<{ id: string } | undefined> {
  return db('tenants').where({ name }).first('id');
}

export async function findVendorTenant(db: Knex): Promise<{ id: string } | undefined> {
  return db('tenants').where({ is_vendor: true }).first('id');
}

/** Names compare case-insensitively; `exceptId` is the tenant being renamed. */
export async function tenantNameTaken(db: Knex, name: string, exceptId?: string): Promise<boolean> {
  const q = db('tenants').whereRaw('lower(name) = lower(?)', [name]);
  if (exceptId) q.whereNot({ id: exceptId });
  return Boolean(await q.first('id'));
}

/**
 * The rows every new tenant has: the tenant, its settings (defaults) and its licences. `trx` must be
 * in this tenant already (inTenant, or setTenant below): the settings and licences are its own rows.
 */
export async function insertTenant(trx: Knex.Transaction, tenant: { id: string; name: string; isVendor: boolean; modules: ModuleLicence[] }): Promise<void> {
  await trx('tenants').insert({ id: tenant.id, name: tenant.name, is_vendor: tenant.isVendor });
  await trx('tenant_settings').insert({ tenant_id: tenant.id });
  await setModules(trx, tenant.id, tenant.modules);
}

/** Ensures the settings row of a tenant created before settings existed for it. */
export async function ensureTenantSettings(trx: Knex.Transaction, tenantId: string): Promise<void> {
  await trx('tenant_settings').insert({ tenant_id: tenantId }).onConflict('tenant_id').ignore();
}

/** Puts an open transaction into `tenantId` for row-level security (inTenant does this at its start). */
export async function setTenant(trx: Knex.Transaction, tenantId: string): Promise<void> {
  await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
}

export async function setModules(trx: Knex.Transaction, tenantId: string, modules: ModuleLicence[]): Promise<void> {
  await trx('tenant_modules').where({ tenant_id: tenantId }).delete();
  if (modules.length) {
    await trx('tenant_modules').insert(modules.map((m) => ({ tenant_id: tenantId, module: m.module, valid_until: m.validUntil })));
  }
}

export async function renameTenant(db: Knex, id: string, name: string): Promise<void> {
  await db('tenants').where({ id }).update({ name });
}

export async function setTenantActive(db: Knex, id: string, active: boolean, at: Date): Promise<void> {
  await db('tenants').where({ id }).update({ deactivated_at: active ? null : at });
}

/** Serialises the first start of two instances on one empty database (held until the transaction ends). */
export async function lockFirstStart(trx: Knex.Transaction): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(?)', [4_711_001]);
}

// ---- vendor grants ---------------------------------------------------------------------------------

export async function listGrants(db: Knex): Promise<{ user_id: string; tenant_id: string; name: string }[]> {
  return db('vendor_grants as g').join('tenants as t', 't.id', 'g.tenant_id').select<{ user_id: string; tenant_id: string; name: string }[]>('g.user_id', 'g.tenant_id', 't.name');
}

export async function insertGrant(db: Knex, grant: { userId: string; tenantId: string; grantedBy: string; at: Date }): Promise<void> {
  await db('vendor_grants').insert({ user_id: grant.userId, tenant_id: grant.tenantId, granted_by: grant.grantedBy, created_at: grant.at })
    .onConflict(['user_id', 'tenant_id']).ignore();
}

/** False when there was no such grant. */
export async function deleteGrant(db: Knex, userId: string, tenantId: string): Promise<boolean> {
  return (await db('vendor_grants').where({ user_id: userId, tenant_id: tenantId }).delete()) > 0;
}
