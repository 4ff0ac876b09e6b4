import { csvDocument } from '../http/csv.js';
import { fail } from '../http/error-catalogue.js';
import { recordAudit, recordRequestAudit } from '../audit/audit-store.js';
import type { AuthService } from '../auth/auth-service.js';
import type { RequestContext } from '../auth/context.js';
import { endSessionsInTenant } from '../auth/sessions.js';
import type { Clock } from '../clock.js';
import { added, assertAssignableInTenant, assertMayHandOut } from '../tenancy/assignment.js';
import type { DepartmentsService } from '../departments/departments-service.js';
import * as departmentsStore from '../departments/departments-store.js';
import type { FourEyes, Pending } from '../approvals/four-eyes.js';
import { privilegedRoles } from '../approvals/privileged.js';
import { resolveRoles } from '../tenancy/assignment.js';
import * as store from './users-store.js';

export interface UsersDeps {
  auth: AuthService;
  departments: DepartmentsService;
  clock: Clock;
  publicUrl: string;
  fourEyes: FourEyes;
}

type InviteInput = { email: string; name: string; roleIds: string[]; departmentIds?: string[] | undefined; reason?: string | undefined };
type UserPatch = {
  name?: string | undefined; roleIds?: string[] | undefined; departmentIds?: string[] | undefined; locked?: boolean | undefined; reason?: string | undefined;
};

export interface UserView {
  id: string;
  email: string;
  name: string;
  status: 'active' | 'locked' | 'deleted';
  roleIds: string[];
  roleNames: string[];
  /** The departments whose containers the user sees (vendor staff: none here; their access window names theirs). */
  departmentIds: string[];
  lastLoginAt: string | null;
  createdAt: string;
  /** Vendor support with a grant: listed so the bank sees who can reach its data, managed by the vendor. */
  vendorStaff: boolean;
  /** Deactivated for not signing in; unlocking reactivates. */
  deactivatedAt: string | null;
  /** Has a second factor (authenticator app or passkey): the overview counts those without. */
  secondFactor: boolean;
}

function view(m: store.MemberRow, departmentIds: string[]): UserView {
  return {
    id: m.id, email: m.email, name: m.name, status: m.status, roleIds: m.roleIds, roleNames: m.roleNames, departmentIds,
    lastLoginAt: m.lastLoginAt?.toISOString() ?? null, createdAt: m.createdAt.toISOString(), vendorStaff: !m.homeTenant,
    deactivatedAt: m.deactivatedAt?.toISOString() ?? null, secondFactor: m.secondFactor,
  };
}

/** Tenant admins manage the staff of their own bank (DESIGN §2). */
export class UsersService {
  constructor(private readonly d: UsersDeps) {
    // Approved four-eyes changes run through the same functions as the direct requests.
    d.fourEyes.register('user.invite', (ctx, input: InviteInput) => this.invite(ctx, input));
    d.fourEyes.register('user.update', (ctx, p: { userId: string; patch: UserPatch }) => this.update(ctx, p.userId, p.patch));
    d.fourEyes.register('user.remove', (ctx, p: { userId: string }) => this.remove(ctx, p.userId));
  }

  /** Names of the privileged roles (export, users:write, settings:write) among `roleIds`. */
  private async privilegedNames(ctx: RequestContext, roleIds: string[]): Promise<string[]> {
    return privilegedRoles(await resolveRoles(ctx.trx, roleIds)).map((r) => r.name);
  }

  private audit(ctx: RequestContext, type: string, subjectId: string, details: Record<string, string | number | boolean | null> = {}) {
    return recordRequestAudit(ctx, { type, subjectType: 'user', subjectId, details }, this.d.clock.now());
  }

  /** A member of this tenant that this admin may change: not themselves, not vendor staff. */
  private async manageable(ctx: RequestContext, userId: string): Promise<store.MemberRow> {
    const member = await store.findMember(ctx.trx, ctx.tenantId, userId);
    if (!member) throw fail('not_found', { reason: 'user' });
    if (member.id === ctx.userId) throw fail('self_change_forbidden', { reason: 'own_account' });
    if (!member.homeTenant) throw fail('vendor_staff');
    return member;
  }

  async list(ctx: RequestContext, includeDeleted: boolean): Promise<UserView[]> {
    const departments = await departmentsStore.departmentsOfMembers(ctx.trx, ctx.tenantId);
    return (await store.listMembers(ctx.trx, ctx.tenantId, includeDeleted)).map((m) => view(m, departments.get(m.id) ?? []));
  }

  async get(ctx: RequestContext, userId: string): Promise<UserView> {
    const member = await store.findMember(ctx.trx, ctx.tenantId, userId);
    if (!member) throw fail('not_found', { reason: 'user' });
    return view(member, await departmentsStore.memberDepartmentIds(ctx.trx, ctx.tenantId, userId));
  }

  /**
   * Without `departmentIds`, a new user of a bank with one department joins it (so nothing changes
   * for such banks). The departments are settled before a four-eyes proposal, so the approval
   * stores and later applies exactly them.
   */
  async invite(ctx: RequestContext, input: InviteInput): Promise<UserView | Pending> {
    const roles = await assertAssignableInTenant(ctx.trx, input.roleIds);
    assertMayHandOut(ctx.rights, roles);
    if (await store.emailTaken(ctx.trx, input.email)) throw fail('email_taken');
    let departmentIds = input.departmentIds;
    if (departmentIds === undefined) {
      const active = await departmentsStore.activeDepartmentIds(ctx.trx, ctx.tenantId);
      departmentIds = active.length === 1 ? active : [];
    }
    departmentIds = [...new Set(departmentIds)];
    await this.d.departments.assertAssignable(ctx, departmentIds);
    const privileged = privilegedRoles(roles);
    if (privileged.length) {
      const pending = await this.d.fourEyes.propose(ctx, {
        kind: 'user.invite', right: 'users:write', reason: input.reason,
        payload: { email: input.email, name: input.name, roleIds: input.roleIds, departmentIds },
        summary: { email: input.email, name: input.name, roles: roles.map((r) => r.name), privilegedRoles: privileged.map((r) => r.name) },
      });
      if (pending) return pending;
    }
    const userId = await store.insertUser(ctx.trx, ctx.tenantId, input.email, input.name);
    await store.addMembership(ctx.trx, ctx.tenantId, userId, input.roleIds);
    await departmentsStore.setMemberDepartments(ctx.trx, ctx.tenantId, userId, departmentIds);
    await this.audit(ctx, 'user.invited', userId, { roles: input.roleIds.length, departments: departmentIds.length });
    await this.d.auth.issueInvitation(userId, 'invitation', this.d.publicUrl, ctx.trx);
    return this.get(ctx, userId);
  }

  async update(ctx: RequestContext, userId: string, patch: UserPatch): Promise<UserView | Pending> {
    const member = await this.manageable(ctx, userId);
    if (member.status === 'deleted') throw fail('user_deleted');
    // Four-eyes: handing out or taking away a privileged role, or locking out someone who holds one.
    const held = await this.privilegedNames(ctx, member.roleIds);
    const next = patch.roleIds === undefined ? held : await this.privilegedNames(ctx, patch.roleIds);
    const addedNames = next.filter((n) => !held.includes(n));
    const removedNames = held.filter((n) => !next.includes(n));
    const locking = patch.locked === true && member.status !== 'locked' && held.length > 0;
    if (addedNames.length || removedNames.length || locking) {
      const { reason, ...change } = patch;
      const pending = await this.d.fourEyes.propose(ctx, {
        kind: 'user.update', right: 'users:write', reason, subjectId: userId, payload: { userId, patch: change },
        summary: { email: member.email, name: member.name, addedRoles: addedNames, removedRoles: removedNames, locked: locking },
      });
      if (pending) return pending;
    }
    if (patch.name !== undefined) await store.setName(ctx.trx, userId, patch.name);
    if (patch.departmentIds !== undefined) await this.moveBetweenDepartments(ctx, userId, [...new Set(patch.departmentIds)]);
    if (patch.roleIds !== undefined) {
      assertMayHandOut(ctx.rights, added(await assertAssignableInTenant(ctx.trx, patch.roleIds), member.roleIds));
      await store.setRoles(ctx.trx, ctx.tenantId, userId, patch.roleIds);
      // Rights count on the next request anyway; ending sessions makes the change visible at once.
      await endSessionsInTenant(ctx.trx, ctx.tenantId, userId, 'rights_changed', this.d.clock.now());
      await this.audit(ctx, 'user.roles_changed', userId, { roles: patch.roleIds.length });
    }
    if (patch.locked !== undefined && patch.locked !== (member.status === 'locked')) {
      await store.setStatus(ctx.trx, userId, patch.locked ? 'locked' : 'active', this.d.clock.now());
      if (patch.locked) await endSessionsInTenant(ctx.trx, ctx.tenantId, userId, 'account_disabled', this.d.clock.now());
      await this.audit(ctx, patch.locked ? 'user.locked' : 'user.unlocked', userId);
    }
    if (patch.name !== undefined) await this.audit(ctx, 'user.renamed', userId);
    return this.get(ctx, userId);
  }

  /** A move between departments changes what the user may see: like a role change, it ends their sessions. */
  private async moveBetweenDepartments(ctx: RequestContext, userId: string, departmentIds: string[]): Promise<void> {
    const before = await departmentsStore.memberDepartmentIds(ctx.trx, ctx.tenantId, userId);
    if (before.length === departmentIds.length && departmentIds.every((id) => before.includes(id))) return;
    await this.d.departments.assertAssignable(ctx, departmentIds, before);
    await departmentsStore.setMemberDepartments(ctx.trx, ctx.tenantId, userId, departmentIds);
    await endSessionsInTenant(ctx.trx, ctx.tenantId, userId, 'rights_changed', this.d.clock.now());
    await this.audit(ctx, 'user.departments_changed', userId, { departments: departmentIds.length });
  }

  async unlock(ctx: RequestContext, userId: string): Promise<void> {
    const member = await this.manageable(ctx, userId);
    if (member.status === 'deleted') throw fail('user_deleted');
    await store.setStatus(ctx.trx, userId, 'active', this.d.clock.now());
    await this.audit(ctx, 'user.unlocked', userId);
  }

  /** Soft delete: marked deleted, rights removed, sessions ended, sign-in refused; still listed on request. */
  async remove(ctx: RequestContext, userId: string, reason?: string): Promise<void | Pending> {
    const member = await this.manageable(ctx, userId);
    if (member.status === 'deleted') return;
    const held = await this.privilegedNames(ctx, member.roleIds);
    if (held.length) {
      const pending = await this.d.fourEyes.propose(ctx, {
        kind: 'user.remove', right: 'users:write', reason, subjectId: userId, payload: { userId },
        summary: { email: member.email, name: member.name, removedRoles: held },
      });
      if (pending) return pending;
    }
    await store.setStatus(ctx.trx, userId, 'deleted', this.d.clock.now());
    await store.setRoles(ctx.trx, ctx.tenantId, userId, []);
    await endSessionsInTenant(ctx.trx, ctx.tenantId, userId, 'account_disabled', this.d.clock.now());
    await this.audit(ctx, 'user.deleted', userId);
  }

  async sendReset(ctx: RequestContext, userId: string): Promise<void> {
    const member = await this.manageable(ctx, userId);
    if (member.status === 'deleted') throw fail('user_deleted');
    await this.audit(ctx, 'user.reset_sent', userId);
    await this.d.auth.issueInvitation(userId, 'reset', this.d.publicUrl, ctx.trx);
  }

  /** A lost phone: the user's second factor is removed (audited), their sessions end, they are mailed. */
  async resetFactor(ctx: RequestContext, userId: string): Promise<void> {
    await this.manageable(ctx, userId);
    if (!(await this.d.auth.resetFactor(userId))) throw fail('no_factor');
    await this.audit(ctx, 'user.totp_reset', userId);
  }

  async endSessions(ctx: RequestContext, userId: string): Promise<number> {
    const member = await store.findMember(ctx.trx, ctx.tenantId, userId);
    if (!member) throw fail('not_found', { reason: 'user' });
    const ended = await endSessionsInTenant(ctx.trx, ctx.tenantId, userId, 'ended_by_admin', this.d.clock.now());
    await this.audit(ctx, 'user.sessions_ended', userId, { sessions: ended });
    return ended;
  }

  /** For the periodic recertification: every account with its roles and last sign-in, deleted ones included. */
  async recertificationCsv(ctx: RequestContext): Promise<string> {
    const members = await store.listMembers(ctx.trx, ctx.tenantId, true);
    const memberships = await departmentsStore.departmentsOfMembers(ctx.trx, ctx.tenantId);
    const names = new Map((await departmentsStore.listDepartments(ctx.trx, ctx.tenantId)).map((d) => [d.id, d.name]));
    // Vendor staff belong to no department: listed are those they may see now (their access window's, or all where the bank is open).
    const now = this.d.clock.now();
    const visible = new Map<string, string[]>();
    for (const m of members) if (!m.homeTenant) visible.set(m.id, await departmentsStore.requestDepartmentIds(ctx.trx, ctx.tenantId, m.id, now));
    const departmentsOf = (m: store.MemberRow) => (visible.get(m.id) ?? memberships.get(m.id) ?? []).map((id) => names.get(id) ?? id).sort().join(', ');
    const header = ['email', 'name', 'status', 'vendor_staff', 'roles', 'departments', 'last_login_at', 'created_at'];
    const rows = members.map((m) => [m.email, m.name, m.status, m.homeTenant ? 'no' : 'yes', m.roleNames.join(', '), departmentsOf(m), m.lastLoginAt?.toISOString() ?? '', m.createdAt.toISOString()]);
    await recordAudit(ctx.trx, {
      tenantId: ctx.tenantId, actorUserId: ctx.userId, type: 'user.recertification_export', details: { rows: members.length }, requestId: ctx.requestId, ip: ctx.ip,
    }, this.d.clock.now());
    // Opened in spreadsheets by whoever recertifies: names and emails are neutralised there.
    return csvDocument(header, rows, 'spreadsheet');
  }
}

