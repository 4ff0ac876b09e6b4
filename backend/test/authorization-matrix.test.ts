import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { after, before, describe, it } from 'node:test';
import type { Requirement, RouteEntry } from '../src/http/route-table.js';
import { effectiveRights, holds, type Access, type Area } from '../src/tenancy/rights.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { customRole, grantTo, randomEmail, roleId, vendorUser } from './helpers/tenancy.js';
import { addDepartment, defaultDepartment } from './helpers/departments.js';

/**
 * Department dimension (issue 18): data routes are also tried on an object in another department
 * of the actor's own bank, which must answer 404 exactly like another bank's object — except for
 * vendor staff, who see every department of a bank they hold a grant for.
 *
 * Every route × {anonymous, reader, analyst, tenant admin, other bank's admin, vendor support
 * with grant, vendor support without grant, superadmin} × {own tenant's object, other tenant's
 * object}. Expectations follow from the rule each route declares in the route table; a route
 * without an entry below fails the first test.
 */

let t: TestKontor;
let tenantA: string;
let tenantB: string;
let userB: TestUser;
let userA: TestUser;

interface Actor {
  name: string;
  client?: Client;
  tenantId?: string;
  rights: Set<string>;
  modules: Set<string>;
  isVendorTenant: boolean;
  /** Vendor staff inside a bank: every department is theirs. */
  allDepartments?: boolean;
}
const actors: Actor[] = [];

/** What a request needs: path params and a body, made fresh for the tenant it targets. */
interface Scenario {
  /** The rule this route must declare, written out here so that weakening it in code fails the test. */
  rule: string;
  /** Path params for an object in `tenantId` (the actor's own tenant), created fresh. */
  own?: (tenantId: string) => Promise<Record<string, string>>;
  /** Path params pointing into a bank other than the actor's; the answer must be 404 for anyone with the right. */
  foreign?: (actorTenantId: string) => Promise<Record<string, string>>;
  /** Path params for an object in another department of the actor's own bank. */
  otherDepartment?: (actorTenantId: string) => Promise<Record<string, string>>;
  body?: () => unknown;
  /** Routes that end or replace the caller's session are left to the auth suites (they would end the actor's session). */
  consumesSession?: boolean;
  /** The own-tenant object cannot exist for every actor (someone else's session id): 404 is a fine answer. */
  notFoundIsFine?: boolean;
  /** The right and module the addressed object adds (`per object` rules): the fixtures use leasing runs. */
  perObject?: { area: Area; access: Access; module: string };
}

/** Each bank's second department, which none of the actors belongs to. */
const otherDepartments = new Map<string, string>();
async function otherDepartmentOf(tenantId: string): Promise<string> {
  if (!otherDepartments.has(tenantId)) otherDepartments.set(tenantId, await addDepartment(t.owner, tenantId, `Firmenkunden ${randomUUID()}`));
  return otherDepartments.get(tenantId)!;
}

async function freshContainer(tenantId: string, departmentId?: string): Promise<Record<string, string>> {
  const id = randomUUID();
  const department = departmentId ?? await defaultDepartment(t.owner, tenantId);
  await inWholeTenant(t.owner, tenantId, (trx) => trx('containers').insert({ tenant_id: tenantId, department_id: department, id, name: `c-${id}` }));
  return { id };
}

async function departmentOf(tenantId: string, containerId: string): Promise<string> {
  return inWholeTenant(t.owner, tenantId, async (trx) => (await trx('containers').where({ tenant_id: tenantId, id: containerId }).first<{ department_id: string }>('department_id')).department_id);
}

async function foreignContainer(actorTenantId: string): Promise<Record<string, string>> {
  return freshContainer(actorTenantId === tenantB ? tenantA : tenantB);
}

/** A finished leasing run in a fresh container of the tenant. */
async function freshCalculation(tenantId: string, departmentId?: string): Promise<Record<string, string>> {
  const containerId = (await freshContainer(tenantId, departmentId)).id!;
  const id = randomUUID();
  const department = await departmentOf(tenantId, containerId);
  await inWholeTenant(t.owner, tenantId, (trx) => trx('calculations').insert({
    tenant_id: tenantId, department_id: department, id, container_id: containerId, kind: 'leasing', definition: '{}', status: 'succeeded', summary: '{}', created_at: new Date(), finished_at: new Date(),
  }));
  return { id };
}

async function freshTemplate(tenantId: string, departmentId?: string): Promise<Record<string, string>> {
  const id = randomUUID();
  const department = departmentId ?? await defaultDepartment(t.owner, tenantId);
  await inWholeTenant(t.owner, tenantId, (trx) => trx('segmentation_templates').insert({
    tenant_id: tenantId, department_id: department, id, name: `t-${id}`, definition: JSON.stringify(templateBody()), created_at: new Date(), updated_at: new Date(),
  }));
  return { id };
}

function templateBody() {
  return { name: `Vorlage ${randomEmail()}`, segments: [{ name: 'Alle', kut: 1, kind: 'ALL', type: 'normal' }] };
}

const otherTenant = (tid: string) => (tid === tenantB ? tenantA : tenantB);

async function freshCampaign(tenantId: string): Promise<Record<string, string>> {
  const id = randomUUID();
  await inWholeTenant(t.owner, tenantId, (trx) => trx('recertifications').insert({ tenant_id: tenantId, id, scope: 'all', started_at: new Date(), due_at: new Date(Date.now() + 86_400_000) }));
  return { id };
}
const leasingRead = { area: 'leasing', access: 'read', module: 'leasing' } as const;

async function freshImport(tenantId: string, departmentId?: string): Promise<Record<string, string>> {
  const containerId = (await freshContainer(tenantId, departmentId)).id!;
  const id = randomUUID();
  const department = await departmentOf(tenantId, containerId);
  await inWholeTenant(t.owner, tenantId, (trx) => trx('imports').insert({ tenant_id: tenantId, department_id: department, id, container_id: containerId, kind: 'customer_groups', status: 'failed', created_at: new Date() }));
  return { id };
}

/** A user of a bank that is not the actor's. */
async function foreignUser(actorTenantId: string): Promise<Record<string, string>> {
  return { id: actorTenantId === tenantB ? userA.id : userB.id };
}

async function freshUser(tenantId: string): Promise<Record<string, string>> {
  return { id: (await addUser(t, tenantId, { roles: ['reader'] })).id };
}

let vendorRequester: TestUser;

/** A pending request of a vendor user into a bank; for the vendor tenant itself there is none (404 is the answer). */
async function freshAccessRequest(tenantId: string, emergency = false): Promise<Record<string, string>> {
  if (tenantId !== tenantA && tenantId !== tenantB) return { id: randomUUID() };
  const [row] = await t.owner('access_requests').insert({
    tenant_id: tenantId, requester_id: vendorRequester.id, reason: 'Matrix test: looking at an import', minutes: 30, emergency, mode: 'approval', status: 'pending', created_at: t.clock.now(),
  }).returning('id');
  return { id: (row as { id: string }).id };
}

/** An approved window open now (for revoke). */
async function openAccessWindow(tenantId: string): Promise<Record<string, string>> {
  const fresh = await freshAccessRequest(tenantId);
  await t.owner('access_requests').where({ id: fresh.id }).update({ status: 'approved', starts_at: t.clock.now(), ends_at: new Date(t.clock.now().getTime() + 30 * 60_000) });
  return fresh;
}

const matrix: Record<string, Scenario> = {
  'GET /health': { rule: 'public',},
  'POST /auth/login': { rule: 'public', body: () => ({ email: 'nobody@bank.example', password: 'whatever-it-is' }) },
  'POST /auth/logout': { rule: 'public', consumesSession: true },
  'GET /auth/session': { rule: 'session (password change pending ok) (second-factor enrolment pending ok)',},
  'POST /auth/refresh': { rule: 'session (second-factor enrolment pending ok)', consumesSession: true },
  'POST /auth/password': { rule: 'session (password change pending ok) (second-factor enrolment pending ok)', body: () => ({ currentPassword: 'wrong-current-password', newPassword: 'irrelevant passphrase 1' }) },
  'POST /auth/login/second-factor': { rule: 'public', body: () => ({ code: '123456' }) },
  'GET /auth/totp': { rule: 'session (password change pending ok) (second-factor enrolment pending ok)' },
  'POST /auth/totp/enrol': { rule: 'session (password change pending ok) (second-factor enrolment pending ok)' },
  'POST /auth/totp/confirm': { rule: 'session (password change pending ok) (second-factor enrolment pending ok)', body: () => ({ code: '000000' }) },
  'POST /users/:id/totp/reset': { rule: 'users:write', own: freshUser, foreign: foreignUser },
  'POST /platform/users/:id/totp/reset': { rule: 'platform.users:write', own: async () => ({ id: (await vendorUser(t, ['support'])).id }) },
  'POST /auth/recovery': { rule: 'public', body: () => ({ email: 'nobody@bank.example' }) },
  'POST /auth/recovery/confirm': { rule: 'public', body: () => ({ email: 'nobody@bank.example', code: '12345678', newPassword: 'some new passphrase' }) },
  'POST /auth/invitation': { rule: 'public', body: () => ({ token: 'x'.repeat(43), newPassword: 'some new passphrase' }) },
  'POST /auth/invitation/check': { rule: 'public', body: () => ({ token: 'x'.repeat(43) }) },
  'POST /auth/switch-tenant': { rule: 'session', body: () => ({ tenantId: tenantB }), consumesSession: true },
  'GET /auth/sessions': { rule: 'session',},
  'GET /auth/profile': { rule: 'session' },
  'PATCH /auth/profile': { rule: 'session', body: () => ({ locale: 'de' }) },
  'DELETE /auth/sessions/:id': { rule: 'session', own: async () => ({ id: '00000000-0000-4000-8000-000000000000' }), notFoundIsFine: true },
  'GET /users': { rule: 'users:read',},
  'POST /users': { rule: 'users:write', body: async () => ({ email: randomEmail(), name: 'New Person', roleIds: [await roleId(t.owner, 'reader')] }) },
  'GET /users.csv': { rule: 'users:read',},
  'GET /users/:id': { rule: 'users:read', own: freshUser, foreign: foreignUser },
  'PATCH /users/:id': { rule: 'users:write', own: freshUser, foreign: foreignUser, body: () => ({ name: 'Renamed' }) },
  'DELETE /users/:id': { rule: 'users:write', own: freshUser, foreign: foreignUser },
  'POST /users/:id/unlock': { rule: 'users:write', own: freshUser, foreign: foreignUser },
  'POST /users/:id/reset': { rule: 'users:write', own: freshUser, foreign: foreignUser },
  'DELETE /users/:id/sessions': { rule: 'users:write', own: freshUser, foreign: foreignUser },
  'GET /roles': { rule: 'users:read',},
  'GET /audit/events': { rule: 'audit:read',},
  'GET /audit/logins': { rule: 'audit:read',},
  'GET /audit/verify': { rule: 'audit:read' },
  'GET /audit/checkpoints': { rule: 'audit:read' },
  'POST /audit/checkpoints': { rule: 'audit:read' },
  'GET /audit/export': { rule: 'audit:read' },
  'GET /auth/directory': { rule: 'public' },
  'GET /auth/oidc/start': { rule: 'public' },
  'GET /auth/oidc/callback': { rule: 'public' },
  'POST /auth/oidc/backchannel-logout/:tenant': { rule: 'public', own: async (tenantId) => ({ tenant: tenantId }) },
  'POST /auth/login/directory': { rule: 'public', body: () => ({ email: 'nobody@bank.example', password: 'whatever-it-is' }) },
  'GET /directory': { rule: 'settings:read' },
  'PUT /directory': { rule: 'settings:write', body: () => ({ method: 'ldap', url: 'ldaps://ldap.bank.example', bindDnTemplate: 'uid={local},ou=people,dc=bank,dc=example' }) },
  'DELETE /directory': { rule: 'settings:write', notFoundIsFine: true },
  'GET /auth/passkeys': { rule: 'session (second-factor enrolment pending ok)' },
  'POST /auth/passkeys/options': { rule: 'session (second-factor enrolment pending ok)' },
  'POST /auth/passkeys': { rule: 'session (second-factor enrolment pending ok)', body: () => ({ name: 'x', response: {} }) },
  'DELETE /auth/passkeys/:id': { rule: 'session', own: async () => ({ id: randomUUID() }), notFoundIsFine: true },
  'POST /auth/login/passkey/options': { rule: 'public' },
  'POST /auth/login/passkey': { rule: 'public', body: () => ({ response: {} }) },
  'POST /auth/login/second-factor/passkey/options': { rule: 'public' },
  'POST /auth/login/second-factor/passkey': { rule: 'public', body: () => ({ response: {} }) },
  'GET /settings': { rule: 'settings:read',},
  'PATCH /settings': { rule: 'settings:write', body: () => ({ idleMinutes: 30 }) },
  // Per approval the service checks the right the change needs; an unknown id answers 404 to everyone signed in.
  'GET /approvals': { rule: 'session' },
  'POST /approvals/:id/approve': { rule: 'session', own: async () => ({ id: randomUUID() }), notFoundIsFine: true },
  'POST /approvals/:id/reject': { rule: 'session', own: async () => ({ id: randomUUID() }), notFoundIsFine: true },
  'GET /recertifications': { rule: 'users:read' },
  // An open campaign of each scope may exist already: 409 recertification_open is an allowed answer.
  'POST /recertifications': { rule: 'users:write', body: () => ({ scope: 'all' }) },
  'GET /recertifications/:id': { rule: 'users:read', own: freshCampaign, foreign: async (tid) => freshCampaign(otherTenant(tid)) },
  'POST /recertifications/:id/decisions': { rule: 'users:write', own: freshCampaign, foreign: async (tid) => freshCampaign(otherTenant(tid)),
    body: () => ({ userId: randomUUID(), decision: 'confirm' }), notFoundIsFine: true },
  'GET /recertifications/:id/evidence.csv': { rule: 'users:read', own: freshCampaign, foreign: async (tid) => freshCampaign(otherTenant(tid)) },
  'GET /platform/tenants': { rule: 'platform.tenants:read',},
  'POST /platform/tenants': { rule: 'platform.tenants:write', body: () => ({ name: `Sparkasse ${randomEmail()}`, modules: [], admin: { email: randomEmail(), name: 'Admin' } }) },
  'PATCH /platform/tenants/:id': { rule: 'platform.tenants:write', own: async () => ({ id: (await createTenantWithUser(t)).tenantId }), body: () => ({ modules: [] }) },
  'GET /platform/users': { rule: 'platform.users:read',},
  'POST /platform/users': { rule: 'platform.users:write', body: async () => ({ email: randomEmail(), name: 'Vendor Person', roleIds: [await roleId(t.owner, 'support')] }) },
  'PATCH /platform/users/:id': { rule: 'platform.users:write', own: async () => ({ id: (await vendorUser(t, ['support'])).id }), body: async () => ({ roleIds: [await roleId(t.owner, 'support')] }) },
  'POST /platform/users/:id/grants/:tenantId': { rule: 'platform.users:write',
    own: async () => ({ id: (await vendorUser(t, ['support'])).id, tenantId: tenantB }),
    body: async () => ({ roleIds: [await roleId(t.owner, 'reader')] }),
  },
  'DELETE /platform/users/:id/grants/:tenantId': { rule: 'platform.users:write',
    own: async () => {
      const u = await vendorUser(t, ['support']);
      await grantTo(t, u, tenantB, ['reader']);
      return { id: u.id, tenantId: tenantB };
    },
  },
  'GET /platform/roles': { rule: 'platform.roles:read',},
  'POST /platform/roles': { rule: 'platform.roles:write', body: () => ({ name: `role ${randomEmail()}`, assignableInTenants: true, rights: ['containers:read'] }) },
  'GET /containers': { rule: 'containers:read' },
  'GET /departments': { rule: 'session' },
  'POST /departments': { rule: 'users:write', body: () => ({ name: `Bereich ${randomEmail()}` }) },
  'PATCH /departments/:id': { rule: 'users:write', own: async (tid) => ({ id: await addDepartment(t.owner, tid) }), foreign: async (tid) => ({ id: await addDepartment(t.owner, otherTenant(tid)) }), body: () => ({ name: `Bereich ${randomEmail()}` }) },
  'POST /containers': { rule: 'containers:write', body: () => ({ name: `Bestand ${randomEmail()}` }) },
  'GET /containers/:id': { rule: 'containers:read', otherDepartment: async (tid) => freshContainer(tid, await otherDepartmentOf(tid)), own: freshContainer, foreign: foreignContainer },
  'PATCH /containers/:id': { rule: 'containers:write', otherDepartment: async (tid) => freshContainer(tid, await otherDepartmentOf(tid)), own: freshContainer, foreign: foreignContainer, body: () => ({ locked: false }) },
  'DELETE /containers/:id': { rule: 'containers:write', otherDepartment: async (tid) => freshContainer(tid, await otherDepartmentOf(tid)), own: freshContainer, foreign: foreignContainer },
  // An empty JSON body is not text/csv: allowed callers get 415, which is neither 401, 403 nor 404.
  'POST /containers/:id/imports/:kind': { rule: 'containers:write', otherDepartment: async (tid) => ({ ...(await freshContainer(tid, await otherDepartmentOf(tid))), kind: 'customer_groups' }), own: async (tid) => ({ ...(await freshContainer(tid)), kind: 'customer_groups' }), foreign: async (tid) => ({ ...(await foreignContainer(tid)), kind: 'customer_groups' }) },
  // Without ?status=active allowed callers get 400, which is neither 401, 403 nor 404.
  'GET /imports': { rule: 'containers:read' },
  'GET /imports/:id': { rule: 'containers:read', otherDepartment: async (tid) => freshImport(tid, await otherDepartmentOf(tid)), own: freshImport, foreign: async (tid) => freshImport(tid === tenantB ? tenantA : tenantB) },
  'GET /segmentation/templates': { rule: 'segmentation:read + module segmentation' },
  'POST /segmentation/templates': { rule: 'segmentation:write + module segmentation', body: templateBody },
  'GET /segmentation/templates/:id': { rule: 'segmentation:read + module segmentation', otherDepartment: async (tid) => freshTemplate(tid, await otherDepartmentOf(tid)), own: freshTemplate, foreign: async (tid) => freshTemplate(otherTenant(tid)) },
  'PUT /segmentation/templates/:id': { rule: 'segmentation:write + module segmentation', otherDepartment: async (tid) => freshTemplate(tid, await otherDepartmentOf(tid)), own: freshTemplate, foreign: async (tid) => freshTemplate(otherTenant(tid)), body: templateBody },
  'DELETE /segmentation/templates/:id': { rule: 'segmentation:write + module segmentation', otherDepartment: async (tid) => freshTemplate(tid, await otherDepartmentOf(tid)), own: freshTemplate, foreign: async (tid) => freshTemplate(otherTenant(tid)) },
  // The kind comes from the body: an empty body answers 400 to anyone allowed past the declared rule.
  'POST /calculations': { rule: 'containers:read + per object' },
  'GET /calculations': { rule: 'containers:read' },
  'GET /calculations/:id': { rule: 'containers:read + per object', otherDepartment: async (tid) => freshCalculation(tid, await otherDepartmentOf(tid)), own: freshCalculation, foreign: async (tid) => freshCalculation(otherTenant(tid)), perObject: leasingRead },
  'GET /calculations/:id/summary': { rule: 'containers:read + per object', otherDepartment: async (tid) => freshCalculation(tid, await otherDepartmentOf(tid)), own: freshCalculation, foreign: async (tid) => freshCalculation(otherTenant(tid)), perObject: leasingRead },
  'GET /calculations/:id/rows': { rule: 'export:read + per object', otherDepartment: async (tid) => freshCalculation(tid, await otherDepartmentOf(tid)), own: freshCalculation, foreign: async (tid) => freshCalculation(otherTenant(tid)), perObject: leasingRead },
  'GET /calculations/:id/export.csv': { rule: 'export:read + per object', otherDepartment: async (tid) => freshCalculation(tid, await otherDepartmentOf(tid)), own: freshCalculation, foreign: async (tid) => freshCalculation(otherTenant(tid)), perObject: leasingRead },
  'DELETE /calculations/:id': { rule: 'containers:write + per object', otherDepartment: async (tid) => freshCalculation(tid, await otherDepartmentOf(tid)), own: freshCalculation, foreign: async (tid) => freshCalculation(otherTenant(tid)), perObject: { area: 'leasing', access: 'write', module: 'leasing' } },
  // An invalid body answers 400 to anyone allowed past the declared rule (the grant is checked after the input).
  'POST /platform/access-requests': { rule: 'platform.tenants:read', body: () => ({ tenantId: tenantA, reason: 'too short', minutes: 15 }) },
  'GET /platform/access-requests': { rule: 'platform.tenants:read' },
  'POST /platform/access-requests/:id/approve': { rule: 'platform.users:write', own: async () => freshAccessRequest(tenantA, true) },
  'GET /access-requests': { rule: 'users:read' },
  'POST /access-requests/:id/approve': { rule: 'users:write', own: (tid) => freshAccessRequest(tid), foreign: async (tid) => freshAccessRequest(otherTenant(tid)), notFoundIsFine: true },
  'POST /access-requests/:id/deny': { rule: 'users:write', own: (tid) => freshAccessRequest(tid), foreign: async (tid) => freshAccessRequest(otherTenant(tid)), notFoundIsFine: true },
  'POST /access-requests/:id/revoke': { rule: 'users:write', own: (tid) => openAccessWindow(tid), foreign: async (tid) => openAccessWindow(otherTenant(tid)), notFoundIsFine: true },
  'PATCH /platform/roles/:id': { rule: 'platform.roles:write', own: async () => ({ id: await customRole(t.owner, ['containers:read']) }), body: () => ({ rights: ['containers:read', 'leasing:read'] }) },
};

function describeRule(e: RouteEntry): string {
  if (e.access === 'public') return 'public';
  const r = e.access;
  const parts = [r.right ? `${r.right.area}:${r.right.access}` : 'session'];
  if (r.module) parts.push(`module ${r.module}`);
  if (r.byObject) parts.push('per object');
  if (r.allowPendingPasswordChange) parts[0] += ' (password change pending ok)';
  if (r.allowPendingMfaEnrolment) parts[0] += ' (second-factor enrolment pending ok)';
  return parts.join(' + ');
}

function key(e: RouteEntry): string {
  return `${e.method.toUpperCase()} ${e.path}`;
}

function fill(path: string, params: Record<string, string>): string {
  return path.replace(/:(\w+)/g, (_, name: string) => params[name] ?? `missing-${name}`);
}

async function signIn(user: TestUser): Promise<Client> {
  const c = new Client(t.url);
  const res = await c.login(user.email, user.password);
  assert.equal(res.status, 200, `sign-in of ${user.email}`);
  return c;
}

function allowed(actor: Actor, requirement: Requirement, scenario: Scenario): boolean {
  if (!actor.client) return false;
  if (requirement.module && !actor.modules.has(requirement.module)) return false;
  if (requirement.right && !holds(actor.rights, requirement.right.area, requirement.right.access)) return false;
  const more = scenario.perObject;
  if (more && (!actor.modules.has(more.module) || !holds(actor.rights, more.area, more.access))) return false;
  return true;
}

before(async () => {
  t = await startTestKontor();
  const adminA = await createTenantWithUser(t, { roles: ['tenant_admin'], modules: ['segmentation', 'leasing'] });
  tenantA = adminA.tenantId;
  const adminB = await createTenantWithUser(t, { roles: ['tenant_admin'], modules: ['segmentation', 'leasing'] });
  tenantB = adminB.tenantId;
  userB = await addUser(t, tenantB, { roles: ['analyst'] });
  userA = await addUser(t, tenantA, { roles: ['analyst'] });
  const reader = await addUser(t, tenantA, { roles: ['reader'] });
  const analyst = await addUser(t, tenantA, { roles: ['analyst'] });
  const supportGranted = await vendorUser(t, ['support']);
  await grantTo(t, supportGranted, tenantA, ['reader']);
  const supportPlain = await vendorUser(t, ['support']);
  const superadmin = await vendorUser(t, ['superadmin']);
  vendorRequester = await vendorUser(t, ['support']);

  const rightsOf = async (c: Client) => {
    const s = (await c.get('/api/auth/session')).body as { permissions: string[]; modules: string[]; tenant: { id: string; isVendor: boolean } };
    return { rights: new Set(s.permissions), modules: new Set(s.modules), tenantId: s.tenant.id, isVendorTenant: s.tenant.isVendor };
  };
  const add = async (name: string, c: Client) => actors.push({ name, client: c, ...(await rightsOf(c)) });
  actors.push({ name: 'anonymous', rights: new Set(), modules: new Set(), isVendorTenant: false });
  await add('reader', await signIn(reader));
  await add('analyst', await signIn(analyst));
  await add('tenant admin', await signIn(adminA));
  await add("other bank's admin", await signIn(adminB));
  const granted = await signIn(supportGranted);
  assert.equal((await granted.post('/api/auth/switch-tenant', { tenantId: tenantA })).status, 200);
  await add('vendor support with grant', granted);
  actors.at(-1)!.allDepartments = true;
  await add('vendor support without grant', await signIn(supportPlain));
  await add('superadmin', await signIn(superadmin));
});

after(async () => t.close());

describe('authorization matrix', () => {
  it('has an entry for every route the app serves', () => {
    const missing = t.kontor.routes.entries.map(key).filter((k) => !(k in matrix));
    assert.deepEqual(missing, [], 'add these routes to the authorization matrix');
  });

  it('every route declares exactly the rule written in the matrix', () => {
    const wrong = t.kontor.routes.entries.filter((e) => matrix[key(e)]!.rule !== describeRule(e)).map((e) => `${key(e)}: declares ${describeRule(e)}, matrix says ${matrix[key(e)]!.rule}`);
    assert.deepEqual(wrong, []);
  });

  it('the actors hold what their roles say, and vendor-only rights never count inside a bank', () => {
    const byName = Object.fromEntries(actors.map((a) => [a.name, a]));
    assert.ok(byName['tenant admin']!.rights.has('users:write'));
    assert.ok(!byName['tenant admin']!.rights.has('containers:read'), 'a tenant admin sees no customer data');
    assert.ok(byName['vendor support with grant']!.rights.has('containers:read'));
    assert.ok(!byName['vendor support with grant']!.rights.has('platform.tenants:read'));
    assert.equal(byName['vendor support with grant']!.tenantId, tenantA);
    assert.ok(byName['superadmin']!.rights.has('platform.roles:write'));
    assert.deepEqual(effectiveRights(['platform.users:write', 'users:read'], false), new Set(['users:read']));
  });

  it('answers every route for every actor as its rule says, own tenant and foreign tenant', async () => {
    const failures: string[] = [];
    for (const entry of t.kontor.routes.entries) {
      const scenario = matrix[key(entry)]!;
      for (const actor of actors) {
        const requirement: Requirement | undefined = entry.access === 'public' ? undefined : entry.access;
        let client = actor.client ?? new Client(t.url);
        if (scenario.consumesSession && actor.client) continue; // covered in the auth suites; keeps actor sessions alive
        const ownParams = scenario.own ? await scenario.own(actor.tenantId ?? tenantA) : {};
        const body = scenario.body ? await scenario.body() : undefined;
        const res = await client.request(entry.method.toUpperCase(), `/api${fill(entry.path, ownParams)}`, body ?? (entry.method === 'get' || entry.method === 'delete' ? undefined : {}));
        let expected: string;
        let ok: boolean;
        if (!requirement) {
          // Public: no session needed (a sign-in with bad credentials rightly answers 401).
          expected = 'not 403, no server error';
          ok = res.status !== 403 && res.status < 500;
        } else if (!actor.client) {
          expected = '401';
          ok = res.status === 401;
        } else if (!allowed(actor, requirement, scenario)) {
          expected = '403';
          ok = res.status === 403;
        } else {
          expected = 'not 401/403/404';
          ok = ![401, 403].includes(res.status) && (res.status !== 404 || Boolean(scenario.notFoundIsFine)) && res.status < 500;
        }
        if (!ok) failures.push(`${key(entry)} as ${actor.name}: got ${res.status} (${res.body?.error?.code ?? ''}), expected ${expected}`);

        if (scenario.foreign && requirement && actor.client && allowed(actor, requirement, scenario)) {
          client = actor.client;
          const foreign = await scenario.foreign(actor.tenantId!);
          const r2 = await client.request(entry.method.toUpperCase(), `/api${fill(entry.path, foreign)}`, body ?? (entry.method === 'get' || entry.method === 'delete' ? undefined : {}));
          if (r2.status !== 404) failures.push(`${key(entry)} as ${actor.name} on another bank's object: got ${r2.status}, expected 404`);
        }
        if (scenario.otherDepartment && requirement && actor.client && allowed(actor, requirement, scenario)) {
          const elsewhere = await scenario.otherDepartment(actor.tenantId!);
          const r3 = await actor.client.request(entry.method.toUpperCase(), `/api${fill(entry.path, elsewhere)}`, body ?? (entry.method === 'get' || entry.method === 'delete' ? undefined : {}));
          const fine = actor.allDepartments ? r3.status !== 404 && r3.status < 500 : r3.status === 404;
          if (!fine) failures.push(`${key(entry)} as ${actor.name} on another department's object: got ${r3.status}, expected ${actor.allDepartments ? 'not 404' : '404'}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  it('writes every denial to the audit log with the missing right', async () => {
    const reader = actors.find((a) => a.name === 'reader')!;
    await reader.client!.get('/api/users');
    const denial = await t.owner.raw(
      `select details from audit_events where tenant_id = ? and type = 'access.denied' and details->>'missing' = 'users:read' order by id desc limit 1`,
      [tenantA],
    );
    // Owner reads are subject to forced RLS too, so read inside the tenant:
    const rows = denial.rows.length ? denial.rows : (await t.owner.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantA]);
      return (await trx.raw(`select details from audit_events where type = 'access.denied' and details->>'missing' = 'users:read' order by id desc limit 1`)).rows;
    }));
    assert.equal(rows.length, 1);
    assert.equal(rows[0].details.route, 'GET /api/users');
  });
});
