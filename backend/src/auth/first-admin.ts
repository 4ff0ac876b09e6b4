import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { activeDepartmentIds, createDefaultDepartment, setMemberDepartments } from '../departments/departments-store.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import type { PasswordHasher } from './password-hasher.js';

export const VENDOR_TENANT_NAME = 'Kontor';

/**
 * On the first start of an empty database: the vendor tenant and one superadmin whose random
 * password goes to $KONTOR_HOME/initial-admin.txt (0600) and must be changed at first login.
 * No account or password exists in code, migrations or fixtures. Returns the file path if created.
 */
export async function ensureFirstSuperadmin(deps: {
  db: Knex; hasher: PasswordHasher; clock: Clock; logger: Logger; home: string; email: string;
}): Promise<string | undefined> {
  const { db } = deps;
  const password = randomBytes(18).toString('base64url');
  const hash = await deps.hasher.hash(password);
  const created = await db.transaction(async (trx) => {
    // Two instances starting on one empty database must not both create an admin.
    await trx.raw('select pg_advisory_xact_lock(?)', [4_711_001]);
    const anyUser = await trx('users').first('id');
    if (anyUser) return undefined;
    let vendor = await trx('tenants').where({ is_vendor: true }).first('id');
    if (!vendor) [vendor] = await trx('tenants').insert({ name: VENDOR_TENANT_NAME, is_vendor: true }).returning('id');
    const tenantId = (vendor as { id: string }).id;
    const [user] = await trx('users')
      .insert({ tenant_id: tenantId, email: deps.email, name: 'Superadmin', must_change_password: true })
      .returning('id');
    const userId = (user as { id: string }).id;
    await trx('password_credentials').insert({ user_id: userId, hash, changed_at: deps.clock.now() });
    const role = await trx('roles').where({ key: 'superadmin' }).first('id');
    await trx.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
    await trx('tenant_settings').insert({ tenant_id: tenantId }).onConflict('tenant_id').ignore();
    const departmentIds = await activeDepartmentIds(trx, tenantId);
    if (departmentIds.length === 0) departmentIds.push(await createDefaultDepartment(trx, tenantId, deps.clock.now()));
    await trx('memberships').insert({ tenant_id: tenantId, user_id: userId });
    await setMemberDepartments(trx, tenantId, userId, departmentIds.slice(0, 1));
    await trx('membership_roles').insert({ tenant_id: tenantId, user_id: userId, role_id: (role as { id: string }).id });
    return { userId, tenantId };
  });
  if (!created) return undefined;
  const file = path.join(deps.home, 'initial-admin.txt');
  fs.writeFileSync(
    file,
    `Kontor first superadmin\nemail: ${deps.email}\npassword: ${password}\n\nSign in once and choose a new password; this one stops working then. Delete this file afterwards.\n`,
    { mode: 0o600 },
  );
  fs.chmodSync(file, 0o600);
  deps.logger.info({ userId: created.userId, tenantId: created.tenantId }, 'first superadmin created');
  return file;
}

