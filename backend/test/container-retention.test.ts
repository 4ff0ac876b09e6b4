import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { containerRetention } from '../src/containers/retention.js';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import { renderMail } from '../src/mail/templates.js';
import { createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { capturingLogger } from './helpers/logger.js';
import { defaultDepartment } from './helpers/departments.js';

let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

const DAY = 86_400_000;

describe('container retention', () => {
  it('deletes exactly the expired unlocked containers and warns the admins 30 days before, once', async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin'], settings: { retention_days: 365 } });
    const now = t.clock.now().getTime();
    const departmentId = await defaultDepartment(t.owner, admin.tenantId);
    const mk = (name: string, lastImportDaysAgo: number, locked = false) =>
      inWholeTenant(t.owner, admin.tenantId, (trx) => trx('containers').insert({
        tenant_id: admin.tenantId, department_id: departmentId, name, locked, created_at: new Date(now - 800 * DAY), last_import_at: new Date(now - lastImportDaysAgo * DAY),
      }));
    await mk('expired', 366);
    await mk('expired but locked', 400, true);
    await mk('warn soon', 340);
    await mk('fresh', 10);
    const { logger } = capturingLogger();
    const sent: string[] = [];
    const result = await containerRetention({ db: t.db, clock: t.clock, logger, mailer: { send: async (m) => void sent.push(`${m.to}|${renderMail(m, 'de').text}`) } }, [admin.tenantId]);
    assert.ok(result.deleted >= 1);
    const names = await inWholeTenant(t.owner, admin.tenantId, async (trx) => (await trx('containers').orderBy('name').pluck('name')) as string[]);
    assert.deepEqual(names, ['expired but locked', 'fresh', 'warn soon']);
    await new Promise((r) => setTimeout(r, 50));
    const mine = sent.filter((s) => s.startsWith(admin.email));
    assert.equal(mine.length, 1);
    assert.match(mine[0]!, /warn soon/);
    assert.doesNotMatch(mine[0]!, /fresh/);
    await containerRetention({ db: t.db, clock: t.clock, logger, mailer: { send: async (m) => void sent.push(`${m.to}|${renderMail(m, 'de').text}`) } }, [admin.tenantId]);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sent.filter((s) => s.startsWith(admin.email)).length, 1, 'warned once');
    const types = await inWholeTenant(t.owner, admin.tenantId, async (trx) => (await trx('audit_events').whereLike('type', 'container.retention%').pluck('type')) as string[]);
    assert.deepEqual(types.sort(), ['container.retention_deleted', 'container.retention_warning']);
  });
});
