import type { Knex } from 'knex';

/** All SQL of directory sign-in (platform tables tenant_directories, user_directory_links; roles in the tenant). */

export interface DirectoryRow {
  tenant_id: string;
  method: 'oidc' | 'ldap';
  email_domains: string[];
  required: boolean;
  jit: boolean;
  /** Directory group → role ids. */
  group_roles: Record<string, string[]>;
  oidc_issuer: string | null;
  oidc_client_id: string | null;
  oidc_client_secret_enc: string | null;
  oidc_email_claim: string;
  oidc_groups_claim: string | null;
  ldap_url: string | null;
  ldap_starttls: boolean;
  ldap_ca_pem: string | null;
  ldap_bind_dn_template: string | null;
  ldap_search_base: string | null;
  ldap_search_filter: string | null;
  ldap_search_dn: string | null;
  ldap_search_password_enc: string | null;
  ldap_group_attribute: string;
  updated_at: Date;
}

export async function findDirectory(db: Knex, tenantId: string): Promise<DirectoryRow | undefined> {
  return db('tenant_directories').where({ tenant_id: tenantId }).first();
}

/** The active bank whose directory serves this email domain, with its name for the sign-in button. */
export async function findDirectoryByDomain(db: Knex, domain: string): Promise<(DirectoryRow & { tenant_name: string }) | undefined> {
  return db('tenant_directories as d').join('tenants as t', 't.id', 'd.tenant_id')
    .whereRaw('? = any(d.email_domains)', [domain.toLowerCase()]).whereNull('t.deactivated_at').where('t.is_vendor', false)
    .first('d.*', 't.name as tenant_name');
}

export async function tenantName(db: Knex, tenantId: string): Promise<string | undefined> {
  return (await db('tenants').where({ id: tenantId, is_vendor: false }).whereNull('deactivated_at').first<{ name: string } | undefined>('name'))?.name;
}

export async function saveDirectory(db: Knex, row: Omit<DirectoryRow, 'updated_at'>, at: Date): Promise<void> {
  await db('tenant_directories').insert({ ...row, group_roles: JSON.stringify(row.group_roles), updated_at: at }).onConflict('tenant_id').merge();
}

export async function deleteDirectory(db: Knex, tenantId: string): Promise<number> {
  return db('tenant_directories').where({ tenant_id: tenantId }).delete();
}

/** Another bank already serves one of these domains (each domain leads to one bank's sign-in). */
export async function domainTakenElsewhere(db: Knex, tenantId: string, domains: string[]): Promise<string | undefined> {
  if (!domains.length) return undefined;
  const row = await db('tenant_directories').whereNot({ tenant_id: tenantId }).whereRaw('email_domains && ?::text[]', [domains]).first<{ email_domains: string[] } | undefined>('email_domains');
  return row?.email_domains.find((d) => domains.includes(d));
}

export async function requiresDirectory(db: Knex, tenantId: string): Promise<boolean> {
  return Boolean(await db('tenant_directories').where({ tenant_id: tenantId, required: true }).first('tenant_id'));
}

export async function linkedUser(db: Knex, tenantId: string, method: string, subject: string): Promise<string | undefined> {
  return (await db('user_directory_links').where({ tenant_id: tenantId, method, subject }).first<{ user_id: string } | undefined>('user_id'))?.user_id;
}

/** The user's link for this method, if any (a user is linked to one subject per method). */
export async function linkOf(db: Knex, userId: string, method: string): Promise<string | undefined> {
  return (await db('user_directory_links').where({ user_id: userId, method }).first<{ subject: string } | undefined>('subject'))?.subject;
}

export async function link(db: Knex, tenantId: string, method: string, subject: string, userId: string, at: Date): Promise<void> {
  await db('user_directory_links').insert({ tenant_id: tenantId, method, subject, user_id: userId, created_at: at }).onConflict(['tenant_id', 'method', 'subject']).ignore();
}

/** A bank user of this tenant with this email (vendor staff are never matched by a bank's directory). */
export async function userByEmailInTenant(db: Knex, tenantId: string, email: string): Promise<{ id: string; status: string } | undefined> {
  return db('users').where({ tenant_id: tenantId }).whereRaw('lower(email) = lower(?)', [email]).first('id', 'status');
}

export async function emailTaken(db: Knex, email: string): Promise<boolean> {
  return Boolean(await db('users').whereRaw('lower(email) = lower(?)', [email]).first('id'));
}

/** Roles a directory may hand out in a bank: assignable there and carrying no vendor-only right. */
export async function assignableRoleIds(db: Knex, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  return db('roles as r').whereIn('r.id', ids).where('r.assignable_in_tenants', true)
    .whereNotExists(db('role_rights as rr').whereRaw('rr.role_id = r.id').whereRaw("rr.area like 'platform.%'"))
    .pluck('r.id');
}

/** Just-in-time: a new bank user without a password (the directory vouches for them), with a membership. */
export async function createUser(trx: Knex.Transaction, tenantId: string, email: string, name: string, at: Date): Promise<string> {
  const [row] = await trx('users').insert({ tenant_id: tenantId, email, name, created_at: at }).returning('id');
  const id = (row as { id: string }).id;
  await trx('memberships').insert({ tenant_id: tenantId, user_id: id, created_at: at });
  return id;
}

/** Serialises work on one directory identity (or email) until the transaction ends. */
export async function lockIdentity(trx: Knex.Transaction, key: string): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [key]);
}

export async function roleIdsOf(trx: Knex.Transaction, tenantId: string, userId: string): Promise<string[]> {
  return trx('membership_roles').where({ tenant_id: tenantId, user_id: userId }).pluck('role_id');
}

export async function replaceRoles(trx: Knex.Transaction, tenantId: string, userId: string, roleIds: string[]): Promise<void> {
  await trx('membership_roles').where({ tenant_id: tenantId, user_id: userId }).delete();
  if (roleIds.length) await trx('membership_roles').insert(roleIds.map((role_id) => ({ tenant_id: tenantId, user_id: userId, role_id })));
}

/** Back-channel logout: a logout token's `jti` taken once per bank (the primary key decides a parallel race). */
export async function useLogoutToken(trx: Knex.Transaction, tenantId: string, jti: string, expiresAt: Date): Promise<boolean> {
  const rows = await trx('used_logout_tokens').insert({ tenant_id: tenantId, jti, expires_at: expiresAt }).onConflict(['tenant_id', 'jti']).ignore().returning('jti');
  return rows.length === 1;
}

/** Token ids past the time their token could still be accepted. */
export async function deleteUsedLogoutTokens(trx: Knex.Transaction, tenantId: string, now: Date): Promise<number> {
  return trx('used_logout_tokens').where({ tenant_id: tenantId }).where('expires_at', '<', now).delete();
}
