import { enrolFactor } from './factors.js';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { inTenant } from '../../src/db/tenant-transaction.js';
import { addUser, type TestKontor, type TestUser } from './app.js';
import { uniqueName } from './db.js';

/** The single vendor tenant of the shared test database, created by whichever suite needs it first. */
export async function vendorTenant(owner: Knex): Promise<string> {
  await owner('tenants').insert({ name: 'Kontor Vendor (tests)', is_vendor: true }).onConflict(owner.raw('(is_vendor) where is_vendor')).ignore();
  const row = await owner('tenants').where({ is_vendor: true }).first('id');
  const id = (row as { id: string }).id;
  // The shared vendor tenant keeps four-eyes off: suites run in parallel and assign vendor roles freely.
  await inTenant(owner, id, (trx) => trx('tenant_settings').insert({ tenant_id: id, four_eyes: false }).onConflict('tenant_id').ignore());
  return id;
}

export async function roleId(owner: Knex, key: string): Promise<string> {
  return (await owner('roles').where({ key }).first<{ id: string }>('id')).id;
}

/** A vendor user with a grant (membership + roles) in `tenantId`. */
export async function grantTo(t: TestKontor, user: TestUser, tenantId: string, roleKeys: string[]): Promise<void> {
  await t.owner('vendor_grants').insert({ user_id: user.id, tenant_id: tenantId });
  const ids = await Promise.all(roleKeys.map((k) => roleId(t.owner, k)));
  await inTenant(t.owner, tenantId, async (trx) => {
    await trx('memberships').insert({ tenant_id: tenantId, user_id: user.id });
    for (const r of ids) await trx('membership_roles').insert({ tenant_id: tenantId, user_id: user.id, role_id: r });
  });
}

/** Vendor staff must have a second factor for every vendor route: these get one. */
export async function vendorUser(t: TestKontor, roles: string[], options: { withFactor?: boolean } = {}): Promise<TestUser> {
  const user = await addUser(t, await vendorTenant(t.owner), { roles });
  if (options.withFactor ?? true) await enrolFactor(t, user);
  return user;
}

export async function customRole(owner: Knex, rights: string[], assignable = true): Promise<string> {
  const [row] = await owner('roles').insert({ name: uniqueName('role'), assignable_in_tenants: assignable }).returning('id');
  const id = (row as { id: string }).id;
  if (rights.length) await owner('role_rights').insert(rights.map((r) => ({ role_id: id, area: r.split(':')[0], access: r.split(':')[1] })));
  return id;
}

export function randomEmail(): string {
  return `${uniqueName('new')}-${randomBytes(2).toString('hex')}@bank.example`;
}
