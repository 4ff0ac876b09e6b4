import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { inTenant, inWholeTenant } from '../src/db/tenant-transaction.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { defaultDepartment } from './helpers/departments.js';

/** The audit log names its subjects (issue 15): a container's name, a user's email; never another bank's. */
let t: TestKontor;
before(async () => {
  t = await startTestKontor();
});
after(async () => t.close());

describe('audit subjects by name', () => {
  it("shows the bank's own container and user by name, and nothing of another bank's", async () => {
    const admin = await createTenantWithUser(t, { roles: ['tenant_admin', 'analyst'] });
    const colleague = await addUser(t, admin.tenantId);
    const other = await createTenantWithUser(t);
    const foreignContainer = randomUUID();
    const otherDepartment = await defaultDepartment(t.owner, other.tenantId);
    await inWholeTenant(t.owner, other.tenantId, (trx) => trx('containers').insert({ tenant_id: other.tenantId, department_id: otherDepartment, id: foreignContainer, name: 'Fremder Bestand' }));
    const c = new Client(t.url);
    assert.equal((await c.login(admin.email, admin.password)).status, 200);
    const created = await c.post('/api/containers', { name: 'Bestand Dezember' });
    assert.equal(created.status, 201);
    // Records that point at another bank's objects (as a forged or stale id would).
    await inTenant(t.owner, admin.tenantId, (trx) => trx('audit_events').insert([
      { chain: 'info', tenant_id: admin.tenantId, type: 'user.renamed', level: 'info', subject_type: 'user', subject_id: colleague.id, details: '{}', created_at: new Date() },
      { chain: 'info', tenant_id: admin.tenantId, type: 'user.renamed', level: 'info', subject_type: 'user', subject_id: other.id, details: '{}', created_at: new Date() },
      { chain: 'info', tenant_id: admin.tenantId, type: 'container.renamed', level: 'info', subject_type: 'container', subject_id: foreignContainer, details: '{}', created_at: new Date() },
    ]));
    const res = await c.get('/api/audit/events?pageSize=50');
    assert.equal(res.status, 200);
    const items = res.body.items as { type: string; subjectId: string; subjectName: string | null }[];
    const nameOf = (id: string) => items.find((i) => i.subjectId === id)?.subjectName;
    assert.equal(nameOf(created.body.id), 'Bestand Dezember');
    assert.equal(nameOf(colleague.id), colleague.email);
    assert.equal(nameOf(other.id), null, "another bank's user stays unnamed");
    assert.equal(nameOf(foreignContainer), null, "another bank's container stays unnamed");
  });
});
