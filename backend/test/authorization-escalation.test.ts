import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { enrolFactor } from './helpers/factors.js';
import { customRole, randomEmail, vendorTenant } from './helpers/tenancy.js';

/**
 * The escalation matrix (issue 13, item 1): every built-in vendor and bank role (plus two narrow
 * custom ones that make the gap visible) × every role it tries to hand out, at every place a role
 * is handed out: vendor users (create, change), grants, bank users (invite, change), role
 * definitions (create, change). The expected answer is derived from the rule, by comparing rights
 * sets: allowed when the actor has the route's right, the role may be used there, and every right
 * the role carries is held by the actor, except customer-data rights, which administrators hand
 * out without holding them (DESIGN §2: a tenant admin creates analysts without seeing customer data).
 */

const CUSTOMER_DATA = ['containers', 'segmentation', 'leasing', 'export'];

let t: TestKontor;
let vendor: string;
let bank: string;

interface Role { id: string; name: string; rights: string[]; assignable: boolean }
interface Actor { name: string; client: Client; rights: Set<string>; inVendor: boolean }
let roles: Role[] = [];
const actors: Actor[] = [];

function heldBy(held: Set<string>, right: string): boolean {
  const [area, access] = right.split(':');
  return held.has(right) || (access === 'read' && held.has(`${area}:write`));
}

/** The rule, written out independently of the code: rights the actor would pass on without holding them. */
function beyond(actor: Actor, rights: string[]): string[] {
  return rights.filter((r) => !CUSTOMER_DATA.includes(r.split(':')[0]!) && !heldBy(actor.rights, r));
}

async function withRoles(tenantId: string, roleIds: string[], factor: boolean): Promise<TestUser> {
  const user = await addUser(t, tenantId, { roles: [] });
  await inWholeTenant(t.owner, tenantId, async (trx) => {
    for (const r of roleIds) await trx('membership_roles').insert({ tenant_id: tenantId, user_id: user.id, role_id: r });
  });
  if (factor) await enrolFactor(t, user);
  return user;
}

async function actor(name: string, tenantId: string, roleIds: string[]): Promise<void> {
  const user = await withRoles(tenantId, roleIds, tenantId === vendor);
  const client = new Client(t.url);
  const res = await client.login(user.email, user.password);
  assert.equal(res.status, 200, `sign-in of ${name}`);
  actors.push({ name, client, rights: new Set(res.body.permissions as string[]), inVendor: tenantId === vendor });
}

before(async () => {
  t = await startTestKontor();
  vendor = await vendorTenant(t.owner);
  bank = (await createTenantWithUser(t, { roles: ['tenant_admin'] })).tenantId;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex's select generics do not narrow this row shape
  const rows = (await t.owner('roles as r').leftJoin('role_rights as rr', 'rr.role_id', 'r.id').where('r.builtin', true)
    .groupBy('r.id').select('r.id', 'r.key', 'r.name', 'r.assignable_in_tenants',
      t.owner.raw("coalesce(array_agg(rr.area || ':' || rr.access) filter (where rr.area is not null), '{}') as rights"))) as
    { id: string; key: string; name: string; assignable_in_tenants: boolean; rights: string[] }[];
  roles = rows.map((r) => ({ id: r.id, name: r.key, rights: r.rights, assignable: r.assignable_in_tenants }));
  const id = (key: string) => roles.find((r) => r.name === key)!.id;
  for (const key of ['superadmin', 'administration', 'support']) await actor(key, vendor, [id(key)]);
  // Narrow custom roles: may manage vendor staff or roles, and nothing else.
  await actor('vendor staff manager', vendor, [await customRole(t.owner, ['platform.users:read', 'platform.users:write'], false)]);
  await actor('vendor role editor', vendor, [await customRole(t.owner, ['platform.roles:read', 'platform.roles:write'], false)]);
  for (const key of ['tenant_admin', 'analyst', 'reader']) await actor(key, bank, [id(key)]);
  await actor('bank user manager', bank, [await customRole(t.owner, ['users:read', 'users:write'])]);
});

after(async () => t.close());

interface Site {
  name: string;
  /** Who may reach the place at all: the route's right, in the actor's kind of tenant. */
  route: (a: Actor) => boolean;
  /** Whether the role may be used there at all (bank places take only roles assignable in banks). */
  usable: (r: Role) => boolean;
  send: (a: Actor, r: Role) => Promise<{ status: number; body: any }>;
  ok: number;
}

async function freshVendorUser(): Promise<string> {
  return (await withRoles(vendor, [], false)).id;
}

const sites: Site[] = [
  {
    name: 'POST /platform/users', ok: 201, route: (a) => a.inVendor && heldBy(a.rights, 'platform.users:write'), usable: () => true,
    send: (a, r) => a.client.post('/api/platform/users', { email: randomEmail(), name: 'New Vendor Person', roleIds: [r.id] }),
  },
  {
    name: 'PATCH /platform/users/:id', ok: 204, route: (a) => a.inVendor && heldBy(a.rights, 'platform.users:write'), usable: () => true,
    send: async (a, r) => a.client.request('PATCH', `/api/platform/users/${await freshVendorUser()}`, { roleIds: [r.id] }),
  },
  {
    name: 'POST /platform/users/:id/grants/:tenantId', ok: 204, route: (a) => a.inVendor && heldBy(a.rights, 'platform.users:write'), usable: (r) => r.assignable,
    send: async (a, r) => a.client.post(`/api/platform/users/${await freshVendorUser()}/grants/${bank}`, { roleIds: [r.id] }),
  },
  {
    name: 'POST /users', ok: 201, route: (a) => heldBy(a.rights, 'users:write'), usable: (r) => r.assignable,
    send: (a, r) => a.client.post('/api/users', { email: randomEmail(), name: 'New Bank Person', roleIds: [r.id] }),
  },
  {
    name: 'PATCH /users/:id', ok: 200, route: (a) => heldBy(a.rights, 'users:write'), usable: (r) => r.assignable,
    send: async (a, r) => a.client.request('PATCH', `/api/users/${(await withRoles(a.inVendor ? vendor : bank, [], false)).id}`, { roleIds: [r.id] }),
  },
  {
    name: 'POST /platform/roles', ok: 201, route: (a) => a.inVendor && heldBy(a.rights, 'platform.roles:write'), usable: () => true,
    send: (a, r) => a.client.post('/api/platform/roles', { name: `copy of ${r.name} ${randomEmail()}`, assignableInTenants: false, rights: r.rights }),
  },
  {
    name: 'PATCH /platform/roles/:id', ok: 200, route: (a) => a.inVendor && heldBy(a.rights, 'platform.roles:write'), usable: () => true,
    send: async (a, r) => a.client.request('PATCH', `/api/platform/roles/${await customRole(t.owner, [], false)}`, { rights: r.rights }),
  },
];

describe('escalation matrix: nobody hands out a right they do not hold', () => {
  it('the actors hold what their roles say', () => {
    const admin = actors.find((a) => a.name === 'administration')!;
    assert.ok(admin.rights.has('platform.users:write') && !admin.rights.has('platform.roles:write'));
    assert.ok(beyond(admin, roles.find((r) => r.name === 'superadmin')!.rights).length > 0, 'the attack of issue 13 is in the matrix');
  });

  for (const site of sites) {
    it(`${site.name}: every actor × every built-in role answers as the rule says`, async () => {
      const failures: string[] = [];
      let allowed = 0;
      let escalations = 0;
      for (const a of actors) {
        for (const r of roles) {
          const res = await site.send(a, r);
          let expected: string;
          let ok: boolean;
          if (!site.route(a)) {
            expected = '403 forbidden (or second factor missing on a vendor route)';
            ok = res.status === 403 && ['forbidden', 'mfa_enrolment_required'].includes(res.body?.error?.code);
          } else if (!site.usable(r)) {
            expected = '403 role_not_assignable';
            ok = res.status === 403 && res.body?.error?.code === 'role_not_assignable';
          } else if (beyond(a, r.rights).length) {
            escalations++;
            expected = '403 role_escalation';
            ok = res.status === 403 && res.body?.error?.code === 'role_escalation';
          } else {
            allowed++;
            expected = String(site.ok);
            ok = res.status === site.ok;
          }
          if (!ok) failures.push(`${a.name} → ${r.name}: got ${res.status} ${res.body?.error?.code ?? ''}, expected ${expected}`);
        }
      }
      assert.deepEqual(failures, []);
      // The matrix exercises both outcomes at every place.
      assert.ok(allowed > 0, 'some assignment is allowed');
      assert.ok(escalations > 0, 'some assignment is an escalation');
    });
  }

  it('a refused escalation changes nothing: the user keeps their roles and no account is created', async () => {
    const manager = actors.find((a) => a.name === 'vendor staff manager')!;
    const superadmin = roles.find((r) => r.name === 'superadmin')!;
    const email = randomEmail();
    assert.equal((await manager.client.post('/api/platform/users', { email, name: 'Would Be Superadmin', roleIds: [superadmin.id] })).status, 403);
    assert.equal(await t.owner('users').where({ email }).first('id'), undefined);
    const target = await freshVendorUser();
    assert.equal((await manager.client.request('PATCH', `/api/platform/users/${target}`, { roleIds: [superadmin.id] })).status, 403);
    const held = await inWholeTenant(t.owner, vendor, (trx) => trx('membership_roles').where({ tenant_id: vendor, user_id: target }).pluck('role_id'));
    assert.deepEqual(held, []);
  });

  it('keeping a role the target already holds is not handing it out again', async () => {
    const userManager = actors.find((a) => a.name === 'bank user manager')!;
    const tenantAdmin = roles.find((r) => r.name === 'tenant_admin')!;
    const reader = roles.find((r) => r.name === 'reader')!;
    const target = await withRoles(bank, [tenantAdmin.id], false);
    // Adding a reader role while the tenant-admin role stays: only the reader role is new.
    assert.equal((await userManager.client.request('PATCH', `/api/users/${target.id}`, { roleIds: [tenantAdmin.id, reader.id] })).status, 200);
  });
});
