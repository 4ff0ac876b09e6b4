import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * Tables that carry a tenant_id but are read before any tenant is set, so they are filtered in their
 * stores instead of by RLS: the directory configuration and its links are looked up by email domain
 * and provider subject at sign-in, before a session (and so a tenant) exists; their secrets are
 * stored encrypted (directory/secret-box.ts).
 */
export const PLATFORM_TABLES_WITH_TENANT_ID = [
  'tenant_modules', 'users', 'vendor_grants', 'login_events', 'audit_checkpoints', 'access_requests',
  'tenant_directories', 'user_directory_links',
];

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
  departments: (trx, c) => trx('departments').insert({ tenant_id: c.tenantId, id: departmentIdFor(c), name: `fixture-${Math.random().toString(36).slice(2)}` }),
  membership_departments: (trx, c) => trx('membership_departments').insert({ tenant_id: c.tenantId, user_id: c.userId, department_id: departmentIdFor(c) }),
  used_logout_tokens: (trx, c) => trx('used_logout_tokens').insert({ tenant_id: c.tenantId, jti: randomUUID(), expires_at: trx.raw("now() + interval '10 minutes'") }),
  session_ends: (trx, c) => trx('session_ends').insert({ tenant_id: c.tenantId, session_id: randomUUID(), reason: 'signed_out', ended_at: trx.fn.now() }),
  audit_events: (trx, c) => trx('audit_events').insert({ tenant_id: c.tenantId, type: 'test.fixture' }),
  audit_chain_heads: (trx, c) => trx('audit_chain_heads').insert({ tenant_id: c.tenantId, chain: 'fixture', last_seq: 0, last_hash: Buffer.alloc(32) }),
  audit_chain_anchors: (trx, c) => trx('audit_chain_anchors').insert({ tenant_id: c.tenantId, chain: 'fixture', first_seq: 1, prev_hash: Buffer.alloc(32), moved_at: trx.fn.now() }),
  containers: (trx, c) => trx('containers').insert({ department_id: departmentIdFor(c), id: containerIdFor(c), tenant_id: c.tenantId, name: `fixture-${Math.random().toString(36).slice(2)}` }),
  customer_groups: (trx, c) => trx('customer_groups').insert({ department_id: departmentIdFor(c),
    tenant_id: c.tenantId, container_id: containerIdFor(c), group_id: 'G1', kind: 'PK', customer_type: 100, branch: '1', postcode: '12345', age: 40, negative_flag: false, online_logins_12m: 0,
  }),
  products: (trx, c) => trx('products').insert({ department_id: departmentIdFor(c),
    tenant_id: c.tenantId, container_id: containerIdFor(c), line: 2, group_id: 'G1', product_group: 'GIRO', balance: 1, balance_avg: 1, count: 1,
  }),
  payments: (trx, c) => trx('payments').insert({ department_id: departmentIdFor(c),
    tenant_id: c.tenantId, container_id: containerIdFor(c), line: 2, group_id: 'G1', category: 'OTHER', count_12m: 1, sum_12m: 1,
  }),
  segmentation_templates: (trx, c) => trx('segmentation_templates').insert({ department_id: departmentIdFor(c),
    tenant_id: c.tenantId, id: randomUUID(), name: `fixture-${Math.random().toString(36).slice(2)}`, definition: '{}', created_at: trx.fn.now(), updated_at: trx.fn.now(),
  }),
  calculations: (trx, c) => trx('calculations').insert({ department_id: departmentIdFor(c),
    tenant_id: c.tenantId, id: calculationIdFor(c), container_id: containerIdFor(c), kind: 'segmentation', definition: '{}', status: 'succeeded', created_at: trx.fn.now(),
  }),
  segmentation_result_chunks: (trx, c) => trx('segmentation_result_chunks').insert({ department_id: departmentIdFor(c),
    tenant_id: c.tenantId, calculation_id: calculationIdFor(c), chunk: 0, group_ids: ['G1'], kinds: ['PK'], branches: ['1'], segment_nos: [0], volumes: [0],
  }),
  leasing_result_chunks: (trx, c) => trx('leasing_result_chunks').insert({ department_id: departmentIdFor(c),
    tenant_id: c.tenantId, calculation_id: calculationIdFor(c), chunk: 0, group_ids: ['G1'], customer_types: [400], branches: ['1'], industries: [null], divisions: [null],
    affinities: ['other'], turnovers: [null], ratings: [null], parts_leasing: [0], parts_industry: [5], parts_turnover: [5], parts_investment: [0], scores: [10], classes: ['D'], potentials: [0],
  }),
  imports: (trx, c) => trx('imports').insert({ department_id: departmentIdFor(c),
    tenant_id: c.tenantId, id: randomUUID(), container_id: containerIdFor(c), kind: 'customer_groups', created_at: trx.fn.now(),
  }),
  approvals: (trx, c) => trx('approvals').insert({
    tenant_id: c.tenantId, id: randomUUID(), kind: 'settings.change', required_right: 'settings:write', payload: '{}', summary: '{}', reason: 'fixture',
    proposed_by: c.userId, proposed_at: trx.fn.now(), expires_at: trx.raw("now() + interval '7 days'"),
  }),
  recertifications: (trx, c) => trx('recertifications').insert({
    tenant_id: c.tenantId, id: recertificationIdFor(c), scope: 'all', started_at: trx.fn.now(), due_at: trx.raw("now() + interval '30 days'"),
  }),
  recertification_items: (trx, c) => trx('recertification_items').insert({
    tenant_id: c.tenantId, recertification_id: recertificationIdFor(c), user_id: c.userId, email: 'fixture@bank.example', role_names: 'Analyst',
  }),
};

/** One fixture department, container and calculation per tenant context (fixed ids per context object). */
const containerIds = new WeakMap<FixtureContext, string>();
const calculationIds = new WeakMap<FixtureContext, string>();
const departmentIds = new WeakMap<FixtureContext, string>();
function idFor(ids: WeakMap<FixtureContext, string>, c: FixtureContext): string {
  if (!ids.has(c)) ids.set(c, randomUUID());
  return ids.get(c)!;
}
const containerIdFor = (c: FixtureContext) => idFor(containerIds, c);
const calculationIdFor = (c: FixtureContext) => idFor(calculationIds, c);
/** The context's one department, which its department-owned fixture rows belong to. */
export const departmentIdFor = (c: FixtureContext) => idFor(departmentIds, c);
/** Puts a fresh context's department-owned rows into an existing department. */
export function placeInDepartment(c: FixtureContext, departmentId: string): FixtureContext {
  departmentIds.set(c, departmentId);
  return c;
}
const recertificationIds = new WeakMap<FixtureContext, string>();
const recertificationIdFor = (c: FixtureContext) => idFor(recertificationIds, c);
