import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import type { AuthService } from '../auth/auth-service.js';
import type { Clock } from '../clock.js';
import { insertContainer } from '../containers/containers-store.js';
import { runImport } from '../imports/import-runner.js';
import { IMPORT_KINDS } from '../imports/formats.js';
import { createTenant } from '../tenancy/tenant-creation.js';
import { findTenantByName } from '../tenancy/tenants-store.js';
import { generate } from './generator.js';

export const DEMO_TENANT = 'Sparkasse Musterstadt (Demo)';

export interface DemoResult {
  created: boolean;
  tenantId: string;
  admin: string;
  analyst: string;
  groups: number;
}

/**
 * A demo bank with both modules, a tenant admin and an analyst (invited by mail or outbox, no
 * password anywhere) and one container filled from the deterministic generator.
 */
export async function createDemo(deps: { db: Knex; auth: AuthService; clock: Clock; publicUrl: string }, options: { groups: number; seed: number }): Promise<DemoResult> {
  const { db } = deps;
  const admin = 'demo-admin@sparkasse-musterstadt.example';
  const analyst = 'demo-analyst@sparkasse-musterstadt.example';
  const existing = await findTenantByName(db, DEMO_TENANT);
  if (existing) return { created: false, tenantId: existing.id, admin, analyst, groups: 0 };
  const containerId = randomUUID();
  const { tenantId, userIds } = await createTenant(db, {
    name: DEMO_TENANT, isVendor: false,
    modules: [{ module: 'segmentation', validUntil: null }, { module: 'leasing', validUntil: null }],
    members: [{ email: admin, name: 'Demo Administration', roleKey: 'tenant_admin' }, { email: analyst, name: 'Demo Analyse', roleKey: 'analyst' }],
  }, async (trx, id, [, analystId]) => {
    await insertContainer(trx, { tenantId: id, id: containerId, name: 'Demo-Bestand', userId: analystId!, at: deps.clock.now() });
  });
  for (const id of userIds) await deps.auth.issueInvitation(id, 'invitation', deps.publicUrl);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-demo-'));
  try {
    const generated = await generate({ groups: options.groups, seed: options.seed, outDir: dir });
    const rows = { customer_groups: generated.customerGroups, products: generated.products, payments: generated.payments };
    for (const kind of IMPORT_KINDS) {
      // A tiny demo may have no payments at all; a file without data rows is refused (empty_file), so it is left out.
      if (rows[kind] === 0) continue;
      const outcome = await runImport({ db, tenantId, containerId, kind, file: path.join(dir, `${kind}.csv`), now: deps.clock.now(), onProgress: () => undefined });
      if (!outcome.ok) throw new Error(`demo import of ${kind} failed with ${outcome.errorCount} error(s)`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { created: true, tenantId, admin, analyst, groups: options.groups };
}
