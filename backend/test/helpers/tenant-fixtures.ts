import type { Knex } from 'knex';

/** Platform tables carry a tenant_id but are reached only through auth/platform services (DESIGN §4). */
export const PLATFORM_TABLES_WITH_TENANT_ID = ['tenant_modules', 'users', 'vendor_grants', 'login_events'];

export interface FixtureContext {
  tenantId: string;
  userId: string;
  roleId: string;
}

/**
 * One row for every tenant-owned table, in dependency order. The isolation tests check that this
 * covers every such table in the catalog, so a new table without a fixture fails the suite.
 */
export const tenantRowFixtures: Record<string, (trx: Knex.Transaction, ctx: FixtureContext) => Promise<unknown>> = {
  tenant_settings: (trx, c) => trx('tenant_settings').insert({ tenant_id: c.tenantId }),
  memberships: (trx, c) => trx('memberships').insert({ tenant_id: c.tenantId, user_id: c.userId }),
  membership_roles: (trx, c) =>
    trx('membership_roles').insert({ tenant_id: c.tenantId, user_id: c.userId, role_id: c.roleId }),
  sessions: (trx, c) =>
    trx('sessions').insert({
      tenant_id: c.tenantId, user_id: c.userId, created_at: trx.fn.now(), last_activity_at: trx.fn.now(),
      absolute_expires_at: trx.raw("now() + interval '8 hours'"),
    }),
  audit_events: (trx, c) => trx('audit_events').insert({ tenant_id: c.tenantId, type: 'test.fixture' }),
  containers: (trx, c) => trx('containers').insert({ tenant_id: c.tenantId, name: `fixture-${Math.random().toString(36).slice(2)}` }),
};
