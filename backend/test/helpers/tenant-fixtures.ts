import { randomUUID } from 'node:crypto';
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
  containers: (trx, c) => trx('containers').insert({ id: containerIdFor(c), tenant_id: c.tenantId, name: `fixture-${Math.random().toString(36).slice(2)}` }),
  customer_groups: (trx, c) => trx('customer_groups').insert({
    tenant_id: c.tenantId, container_id: containerIdFor(c), group_id: 'G1', kind: 'PK', customer_type: 100, branch: '1', postcode: '12345', age: 40, negative_flag: false, online_logins_12m: 0,
  }),
  products: (trx, c) => trx('products').insert({
    tenant_id: c.tenantId, container_id: containerIdFor(c), line: 2, group_id: 'G1', product_group: 'GIRO', balance: 1, balance_avg: 1, count: 1,
  }),
  payments: (trx, c) => trx('payments').insert({
    tenant_id: c.tenantId, container_id: containerIdFor(c), line: 2, group_id: 'G1', category: 'OTHER', count_12m: 1, sum_12m: 1,
  }),
  imports: (trx, c) => trx('imports').insert({
    tenant_id: c.tenantId, id: randomUUID(), container_id: containerIdFor(c), kind: 'customer_groups', created_at: trx.fn.now(),
  }),
};

/** One fixture container per tenant context (a fixed id derived per context object). */
const containerIds = new WeakMap<FixtureContext, string>();
function containerIdFor(c: FixtureContext): string {
  let id = containerIds.get(c);
  if (!id) {
    id = randomUUID();
    containerIds.set(c, id);
  }
  return id;
}
