import { fail } from '../http/error-catalogue.js';
import type { Knex } from 'knex';
import { recordRequestAudit } from '../audit/audit-store.js';
import type { AuthService } from '../auth/auth-service.js';
import type { RequestContext } from '../auth/context.js';
import { endSessionsInTenant } from '../auth/sessions.js';
import type { Clock } from '../clock.js';
import { inTenant } from '../db/tenant-transaction.js';
import type { FourEyes, Pending } from '../approvals/four-eyes.js';
import { privilegedRoles } from '../approvals/privileged.js';
import * as users from '../users/users-store.js';
import { added, assertAssignableInTenant, assertMayHandOut, resolveRoles } from './assignment.js';
import { isKnownRight, isVendorOnly } from './rights.js';
import * as roles from './roles-store.js';
import { writeSettings, type SettingsPatch } from './settings-store.js';
import { createTenant } from './tenant-creation.js';
import * as tenants from './tenants-store.js';
import type { ModuleLicence } from './tenants-store.js';

export interface PlatformDeps {
  db: Knex;
  auth: AuthService;
  clock: Clock;
  publicUrl: string;
  fourEyes: FourEyes;
}

export type { ModuleLicence };

export interface TenantView {
  id: string;
  name: string;
  isVendor: boolean;
  active: boolean;
  createdAt: string;
  modules: ModuleLicence[];
  users: number;
}

/** The vendor's side (DESIGN §2): banks, their licences, vendor staff, grants and roles. */
export class PlatformService {
  constructor(private readonly d: PlatformDeps) {
    d.fourEyes.register('platform.user_create', (ctx, input: { email: string; name: string; roleIds: string[] }) => this.createVendorUser(ctx, input));
    d.fourEyes.register('platform.user_roles', (ctx, p: { userId: string; roleIds: string[] }) => this.setVendorRoles(ctx, p.userId, p.roleIds));
  }

  private audit(trx: Knex.Transaction, tenantId: string, ctx: RequestContext, type: string, subjectType: string, subjectId: string, details: Record<string, string | number | boolean | null> = {}) {
    return recordRequestAudit(ctx, { type, subjectType, subjectId, details }, this.d.clock.now(), { trx, tenantId });
  }

  // ---- tenants ----------------------------------------------------------------------------------

  async listTenants(ctx: RequestContext): Promise<TenantView[]> {
    const rows = await tenants.listTenants(ctx.trx);
    return rows.map((r) => ({
      id: r.id, name: r.name, isVendor: r.is_vendor, active: r.deactivated_at === null, createdAt: r.created_at.toISOString(),
      modules: r.modules.map((m) => ({ module: m.module, validUntil: m.validUntil ? String(m.validUntil).slice(0, 10) : null })), users: Number(r.users),
    }));
  }

  private async tenantView(ctx: RequestContext, id: string): Promise<TenantView> {
    const found = (await this.listTenants(ctx)).find((t) => t.id === id);
    if (!found) throw fail('not_found', { reason: 'tenant' });
    return found;
  }

  /** A new bank: tenant, settings, licences and its first admin, invited by mail. */
  async createTenant(ctx: RequestContext, input: { name: string; modules: ModuleLicence[]; admin: { email: string; name: string } }): Promise<TenantView> {
    if (await tenants.tenantNameTaken(ctx.trx, input.name)) throw fail('tenant_name_taken');
    if (await users.emailTaken(ctx.trx, input.admin.email)) throw fail('email_taken');
    const { tenantId, userIds: [adminId] } = await createTenant(this.d.db, {
      name: input.name, isVendor: false, modules: input.modules, members: [{ email: input.admin.email, name: input.admin.name, roleKey: 'tenant_admin' }],
      at: this.d.clock.now(),
    }, async (trx, newTenantId, [userId]) => {
      await this.audit(trx, newTenantId, ctx, 'tenant.created', 'tenant', newTenantId, { by_vendor: true });
      await this.d.auth.issueInvitation(userId!, 'invitation', this.d.publicUrl, trx);
    });
    await this.audit(ctx.trx, ctx.tenantId, ctx, 'tenant.created', 'tenant', tenantId, { modules: input.modules.length, admin: adminId! });
    return this.tenantView(ctx, tenantId);
  }

  async updateTenant(
    ctx: RequestContext, id: string,
    patch: { name?: string | undefined; modules?: ModuleLicence[] | undefined; active?: boolean | undefined; settings?: SettingsPatch | undefined },
  ): Promise<TenantView> {
    const tenant = await tenants.findTenant(ctx.trx, id);
    if (!tenant) throw fail('not_found', { reason: 'tenant' });
    if (tenant.is_vendor && patch.active === false) throw fail('vendor_tenant');
    if (patch.name !== undefined) {
      if (await tenants.tenantNameTaken(ctx.trx, patch.name, id)) throw fail('tenant_name_taken');
      await tenants.renameTenant(ctx.trx, id, patch.name);
    }
    if (patch.active !== undefined) await tenants.setTenantActive(ctx.trx, id, patch.active, this.d.clock.now());
    if (patch.modules !== undefined) await tenants.setModules(ctx.trx, id, patch.modules);
    if (patch.settings && id !== ctx.tenantId) {
      // The bank's settings row is its own (RLS): written in that tenant's transaction, audited there too.
      await inTenant(this.d.db, id, async (trx) => {
        await writeSettings(trx, id, patch.settings!, this.d.clock.now());
        await this.audit(trx, id, ctx, 'settings.changed', 'tenant', id, { by_vendor: true, fields: Object.keys(patch.settings!).join(',') });
      });
    } else if (patch.settings) {
      await writeSettings(ctx.trx, id, patch.settings, this.d.clock.now());
    }
    await this.audit(ctx.trx, ctx.tenantId, ctx, 'tenant.updated', 'tenant', id, {
      renamed: patch.name !== undefined, modules: patch.modules?.length ?? null, active: patch.active ?? null, settings: Boolean(patch.settings),
    });
    return this.tenantView(ctx, id);
  }

  // ---- vendor staff and grants ---------------------------------------------------------------------

  async listVendorUsers(ctx: RequestContext) {
    const members = await users.listMembers(ctx.trx, ctx.tenantId, true);
    const grants = await tenants.listGrants(ctx.trx);
    return members.filter((m) => m.homeTenant).map((m) => ({
      id: m.id, email: m.email, name: m.name, status: m.status, roleIds: m.roleIds, roleNames: m.roleNames,
      lastLoginAt: m.lastLoginAt?.toISOString() ?? null,
      grants: grants.filter((g) => g.user_id === m.id).map((g) => ({ tenantId: g.tenant_id, tenantName: g.name })),
    }));
  }

  async createVendorUser(ctx: RequestContext, input: { email: string; name: string; roleIds: string[]; reason?: string | undefined }) {
    const roles = await resolveRoles(ctx.trx, input.roleIds);
    assertMayHandOut(ctx.rights, roles);
    if (await users.emailTaken(ctx.trx, input.email)) throw fail('email_taken');
    // Four-eyes at the vendor: vendor roles that carry platform.*:write.
    const privileged = privilegedRoles(roles, true);
    if (privileged.length) {
      const pending = await this.d.fourEyes.propose(ctx, {
        kind: 'platform.user_create', right: 'platform.users:write', reason: input.reason, payload: { email: input.email, name: input.name, roleIds: input.roleIds },
        summary: { email: input.email, name: input.name, roles: roles.map((r) => r.name), privilegedRoles: privileged.map((r) => r.name) },
      });
      if (pending) return pending;
    }
    const userId = await users.insertUser(ctx.trx, ctx.tenantId, input.email, input.name);
    await users.addMembership(ctx.trx, ctx.tenantId, userId, input.roleIds);
    await this.audit(ctx.trx, ctx.tenantId, ctx, 'platform.user_created', 'user', userId, { roles: input.roleIds.length });
    await this.d.auth.issueInvitation(userId, 'invitation', this.d.publicUrl, ctx.trx);
    return (await this.listVendorUsers(ctx)).find((u) => u.id === userId)!;
  }

  private async vendorStaff(ctx: RequestContext, userId: string): Promise<users.MemberRow> {
    if (userId === ctx.userId) throw fail('self_change_forbidden', { reason: 'own_account' });
    const member = await users.findMember(ctx.trx, ctx.tenantId, userId);
    if (!member || !member.homeTenant) throw fail('not_found', { reason: 'vendor_user' });
    if (member.status === 'deleted') throw fail('user_deleted');
    return member;
  }

  /** A vendor user's access to a bank: a grant plus a membership there with tenant-level roles. */
  async grant(ctx: RequestContext, userId: string, tenantId: string, roleIds: string[]): Promise<void> {
    await this.vendorStaff(ctx, userId);
    const tenant = await tenants.findTenant(ctx.trx, tenantId);
    if (!tenant || tenant.is_vendor) throw fail('not_found', { reason: 'bank_tenant' });
    if (roleIds.length === 0) throw fail('invalid_input', { reason: 'no_roles', field: 'roleIds' });
    const roles = await assertAssignableInTenant(ctx.trx, roleIds);
    await tenants.insertGrant(ctx.trx, { userId, tenantId, grantedBy: ctx.userId, at: this.d.clock.now() });
    await inTenant(this.d.db, tenantId, async (trx) => {
      // Roles the user holds in that bank already are kept, not handed out again.
      assertMayHandOut(ctx.rights, added(roles, (await users.findMember(trx, tenantId, userId))?.roleIds ?? []));
      await users.addMembership(trx, tenantId, userId, roleIds);
      await endSessionsInTenant(trx, tenantId, userId, 'rights_changed', this.d.clock.now());
      await this.audit(trx, tenantId, ctx, 'grant.given', 'user', userId, { roles: roleIds.length });
    });
    await this.audit(ctx.trx, ctx.tenantId, ctx, 'grant.given', 'user', userId, { tenant: tenantId, roles: roleIds.length });
  }

  async revokeGrant(ctx: RequestContext, userId: string, tenantId: string): Promise<void> {
    await this.vendorStaff(ctx, userId);
    const removed = await tenants.deleteGrant(ctx.trx, userId, tenantId);
    if (!removed) throw fail('not_found', { reason: 'grant' });
    await inTenant(this.d.db, tenantId, async (trx) => {
      await endSessionsInTenant(trx, tenantId, userId, 'access_ended', this.d.clock.now());
      await users.removeMembership(trx, tenantId, userId);
      await this.audit(trx, tenantId, ctx, 'grant.revoked', 'user', userId);
    });
    await this.audit(ctx.trx, ctx.tenantId, ctx, 'grant.revoked', 'user', userId, { tenant: tenantId });
  }

  async setVendorRoles(ctx: RequestContext, userId: string, roleIds: string[], reason?: string): Promise<void | Pending> {
    const member = await this.vendorStaff(ctx, userId);
    const next = await resolveRoles(ctx.trx, roleIds);
    assertMayHandOut(ctx.rights, added(next, member.roleIds));
    const held = privilegedRoles(await resolveRoles(ctx.trx, member.roleIds), true).map((r) => r.name);
    const wanted = privilegedRoles(next, true).map((r) => r.name);
    const addedNames = wanted.filter((n) => !held.includes(n));
    const removedNames = held.filter((n) => !wanted.includes(n));
    if (addedNames.length || removedNames.length) {
      const pending = await this.d.fourEyes.propose(ctx, {
        kind: 'platform.user_roles', right: 'platform.users:write', reason, subjectId: userId, payload: { userId, roleIds },
        summary: { email: member.email, name: member.name, addedRoles: addedNames, removedRoles: removedNames },
      });
      if (pending) return pending;
    }
    await users.setRoles(ctx.trx, ctx.tenantId, userId, roleIds);
    await endSessionsInTenant(ctx.trx, ctx.tenantId, userId, 'rights_changed', this.d.clock.now());
    await this.audit(ctx.trx, ctx.tenantId, ctx, 'platform.user_roles_changed', 'user', userId, { roles: roleIds.length });
  }

  async resetVendorFactor(ctx: RequestContext, userId: string): Promise<void> {
    await this.vendorStaff(ctx, userId);
    if (userId === ctx.userId) throw fail('own_account');
    if (!(await this.d.auth.resetFactor(userId))) throw fail('no_factor');
    await this.audit(ctx.trx, ctx.tenantId, ctx, 'platform.user_totp_reset', 'user', userId);
  }

  // ---- roles -------------------------------------------------------------------------------------

  listRoles(ctx: RequestContext, onlyAssignable: boolean) {
    return roles.listRoles(ctx.trx).then((all) => (onlyAssignable ? all.filter((r) => r.assignableInTenants && !r.vendorOnly) : all));
  }

  private validateRights(rights: string[], assignableInTenants: boolean): void {
    for (const r of rights) {
      const [area, access] = r.split(':');
      if (!area || !access || !isKnownRight(area, access)) throw fail('invalid_input', { reason: 'unknown_right', field: 'rights', right: r });
      if (assignableInTenants && isVendorOnly(area)) throw fail('invalid_input', { reason: 'vendor_only_right', field: 'rights' });
    }
  }

  async createRole(ctx: RequestContext, input: { name: string; assignableInTenants: boolean; rights: string[] }) {
    this.validateRights(input.rights, input.assignableInTenants);
    assertMayHandOut(ctx.rights, [input]);
    if (await roles.roleNameTaken(ctx.trx, input.name)) throw fail('role_name_taken');
    const id = await roles.insertRole(ctx.trx, { ...input, rights: [...new Set(input.rights)] });
    await this.audit(ctx.trx, ctx.tenantId, ctx, 'role.created', 'role', id, { rights: input.rights.length });
    return (await roles.listRoles(ctx.trx, [id]))[0]!;
  }

  async updateRole(ctx: RequestContext, id: string, patch: { name?: string | undefined; assignableInTenants?: boolean | undefined; rights?: string[] | undefined }) {
    const [role] = await roles.listRoles(ctx.trx, [id]);
    if (!role) throw fail('not_found', { reason: 'role' });
    if (role.builtin) throw fail('builtin_role');
    if (await roles.userHoldsRole(ctx.trx, ctx.tenantId, ctx.userId, id)) {
      throw fail('self_change_forbidden', { reason: 'own_role' });
    }
    this.validateRights(patch.rights ?? role.rights, patch.assignableInTenants ?? role.assignableInTenants);
    assertMayHandOut(ctx.rights, [{ name: patch.name ?? role.name, rights: patch.rights ?? role.rights }]);
    await roles.updateRole(ctx.trx, id, { ...patch, ...(patch.rights ? { rights: [...new Set(patch.rights)] } : {}) });
    await this.audit(ctx.trx, ctx.tenantId, ctx, 'role.updated', 'role', id, { rights: patch.rights?.length ?? null });
    return (await roles.listRoles(ctx.trx, [id]))[0]!;
  }
}
