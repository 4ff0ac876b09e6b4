import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import { roleIdsByKey } from '../tenancy/roles-store.js';
import { addMembers } from '../tenancy/tenant-creation.js';
import * as tenants from '../tenancy/tenants-store.js';
import { anyUserExists } from '../users/users-store.js';
import { insertCredential } from './auth-store.js';
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
    await tenants.lockFirstStart(trx);
    if (await anyUserExists(trx)) return undefined;
    const vendor = await tenants.findVendorTenant(trx);
    const tenantId = vendor?.id ?? randomUUID();
    await tenants.setTenant(trx, tenantId);
    if (vendor) await tenants.ensureTenantSettings(trx, tenantId);
    else await tenants.insertTenant(trx, { id: tenantId, name: VENDOR_TENANT_NAME, isVendor: true, modules: [] });
    const [userId] = await addMembers(trx, tenantId, [{ email: deps.email, name: 'Superadmin', roleKey: 'superadmin', mustChangePassword: true }], await roleIdsByKey(trx, ['superadmin']));
    await insertCredential(trx, userId!, hash, deps.clock.now());
    return { userId: userId!, tenantId };
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

