import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { inWholeTenant } from '../src/db/tenant-transaction.js';
import type { RouteEntry } from '../src/http/route-table.js';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { vendorUser } from './helpers/tenancy.js';
import { defaultDepartment } from './helpers/departments.js';

/**
 * Malformed input is a 400 with the field, never a 500 (issue 13 item 11). The property test walks
 * the route table, so a new route is covered without touching this file.
 */

let t: TestKontor;
let tenantId: string;
/** Real ids of the bank, so random input also reaches the code behind an existing object. */
const realIds: string[] = [];
let calculationId: string;

interface Actor {
  name: string;
  client?: Client;
  /** Makes a fresh signed-in client (the previous one may have signed out, switched or locked itself). */
  renew?: () => Promise<Client>;
}
const actors: Actor[] = [];

async function signIn(user: TestUser): Promise<Client> {
  const c = new Client(t.url);
  const res = await c.login(user.email, user.password);
  assert.equal(res.status, 200, `sign-in of ${user.email}`);
  return c;
}

/** What the spec says a route takes: query names and top-level body properties, to aim random values at. */
interface Spec {
  paths: Record<string, Record<string, {
    parameters?: { name: string; in: string }[];
    requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown>; $ref?: string } }> };
  }>>;
  components?: { schemas?: Record<string, { properties?: Record<string, unknown> }> };
}
const spec = parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/openapi.yaml'), 'utf8')) as Spec;

function inputsOf(entry: RouteEntry): { query: string[]; body: string[] } {
  const op = spec.paths[entry.path.replace(/:(\w+)/g, '{$1}')]?.[entry.method];
  const query = (op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
  const schema = op?.requestBody?.content?.['application/json']?.schema;
  const resolved = schema?.$ref ? spec.components?.schemas?.[schema.$ref.split('/').pop()!] : schema;
  return { query, body: Object.keys(resolved?.properties ?? {}) };
}

/** Strings a client can send: unicode, NUL and control characters, lone `%`, overlong numbers. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('\u0000', 'a\u0000b', '%', '%zz', '%00', '%ff', '..', '-1', '0', '1e309', '99999999999999999999', 'null', '\ud800', 'true', ' ', ''),
  fc.uuid(),
);

/** A path segment as sent: sometimes percent-encoded properly, sometimes raw (a bare `%` must not crash the router). */
const segment = fc.oneof(
  nasty.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
  fc.constantFrom('%', '%zz', '%E0%A4%A', 'a%00b', '%C0%AF', '%2F'),
  fc.constantFrom(...[randomUUID()]),
  fc.integer({ min: 0, max: 100 }).map((i) => `real:${i}`),
).filter((s) => s.length > 0);

const jsonish = fc.oneof(nasty, fc.jsonValue({ maxDepth: 2 }), fc.array(nasty, { maxLength: 3 }));

function requestFor(entry: RouteEntry) {
  const inputs = inputsOf(entry);
  const params = [...entry.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  return fc.record({
    params: fc.tuple(...params.map(() => segment)),
    query: fc.dictionary(fc.oneof(fc.constantFrom(...inputs.query, 'x'), nasty), nasty, { maxKeys: 4 }),
    body: fc.oneof(
      fc.dictionary(fc.oneof(fc.constantFrom(...inputs.body, 'x'), nasty), jsonish, { maxKeys: 4 }).map((b) => JSON.stringify(b)),
      jsonish.map((b) => JSON.stringify(b) ?? 'null'),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
    ),
    contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/csv', 'application/json; charset=latin1', 'text/plain'),
  }).map((r) => {
    const p = r.params;
    let i = 0;
    const url = `/api${entry.path.replace(/:(\w+)/g, () => {
      const s = p[i++]!;
      return s.startsWith('real:') ? realIds[Number(s.slice(5)) % realIds.length]! : s;
    })}`;
    const qs = Object.entries(r.query).map(([k, v]) => `${encodeURIComponent(k.replace(/[\ud800-\udfff]/g, 'x'))}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, 'x'))}`).join('&');
    return { url: qs ? `${url}?${qs}` : url, body: r.body, contentType: r.contentType };
  });
}

async function send(actor: Actor, entry: RouteEntry, req: { url: string; body: string; contentType: string }): Promise<number> {
  const hasBody = entry.method !== 'get' && entry.method !== 'delete';
  const res = await fetch(`${t.url}${req.url}`, {
    method: entry.method.toUpperCase(),
    headers: { origin: t.url, ...(actor.client?.cookie ? { cookie: actor.client.cookie } : {}), ...(hasBody ? { 'content-type': req.contentType } : {}) },
    body: hasBody ? req.body : undefined,
  });
  await res.arrayBuffer();
  return res.status;
}

before(async () => {
  t = await startTestKontor({ jsonBodyLimit: '16kb' });
  const admin = await createTenantWithUser(t, { roles: ['tenant_admin', 'analyst'], modules: ['segmentation', 'leasing'] });
  tenantId = admin.tenantId;
  const containerId = randomUUID();
  calculationId = randomUUID();
  const templateId = randomUUID();
  const departmentId = await defaultDepartment(t.owner, tenantId);
  await inWholeTenant(t.owner, tenantId, async (trx) => {
    await trx('containers').insert({ tenant_id: tenantId, department_id: departmentId, id: containerId, name: 'robustness' });
    await trx('calculations').insert({
      tenant_id: tenantId, department_id: departmentId, id: calculationId, container_id: containerId, kind: 'leasing', definition: '{}', status: 'succeeded', summary: '{}', created_at: new Date(), finished_at: new Date(),
    });
    await trx('segmentation_templates').insert({
      tenant_id: tenantId, department_id: departmentId, id: templateId, name: 'robustness', created_at: new Date(), updated_at: new Date(),
      definition: JSON.stringify({ name: 'robustness', segments: [{ name: 'Alle', kut: 1, kind: 'ALL', type: 'normal' }] }),
    });
  });
  const colleague = await addUser(t, tenantId, { roles: ['reader'] });
  realIds.push(containerId, calculationId, templateId, colleague.id, tenantId);

  const freshBankUser = async () => signIn(await addUser(t, tenantId, { roles: ['tenant_admin', 'analyst'] }));
  const freshSuperadmin = async () => signIn(await vendorUser(t, ['superadmin']));
  actors.push({ name: 'anonymous' });
  actors.push({ name: 'bank admin and analyst', client: await signIn(admin), renew: freshBankUser });
  actors.push({ name: 'superadmin', client: await freshSuperadmin(), renew: freshSuperadmin });
});

after(async () => t.close());

function field(res: { body: any }): string | undefined {
  return res.body?.error?.field;
}

describe('malformed input answers 400 with the field', () => {
  it('a NUL byte in the groupId or branch filter of result rows', async () => {
    const c = actors[1]!.client!;
    for (const name of ['groupId', 'branch', 'segment']) {
      const res = await c.get(`/api/calculations/${calculationId}/rows?${name}=ab%00c`);
      assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(field(res), name);
    }
  });

  it('a NUL byte in the audit type filter', async () => {
    const res = await actors[1]!.client!.get('/api/audit/events?type=user%00');
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(field(res), 'type');
  });

  it('a NUL byte in a JSON body names the field', async () => {
    const res = await actors[1]!.client!.post('/api/containers', { name: 'a\u0000b' });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(field(res), 'name');
  });

  it('a bare % in a path id, signed in or not', async () => {
    for (const actor of actors.slice(0, 2)) {
      const c = actor.client ?? new Client(t.url);
      for (const p of ['/api/users/%', '/api/containers/%zz', '/api/calculations/%E0%A4%A/rows']) {
        const res = await c.get(p);
        assert.equal(res.status, 400, `${actor.name} ${p}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(field(res), 'id');
      }
    }
  });

  it('a malformed id is a 400 naming the parameter', async () => {
    const c = actors[1]!.client!;
    for (const p of ['/api/containers/not-an-id', '/api/users/1', `/api/calculations/${calculationId}x`, '/api/segmentation/templates/x.y', '/api/imports/%00']) {
      const res = await c.get(p);
      assert.equal(res.status, 400, `${p}: ${res.status}`);
      assert.equal(res.body.error.code, 'invalid_id');
      assert.equal(field(res), 'id');
    }
    const sa = actors[2]!.client!;
    const res = await sa.request('DELETE', `/api/platform/users/${randomUUID()}/grants/nope`);
    assert.equal(res.status, 400);
    assert.equal(field(res), 'tenantId');
  });
});

describe('random input never answers 5xx (property)', () => {
  const runs = Number(process.env.KONTOR_PROPERTY_RUNS ?? 10);
  it(`every route × {anonymous, bank admin, superadmin} × ${runs} random requests`, async () => {
    const failures: string[] = [];
    for (const entry of t.kontor.routes.entries) {
      for (const actor of actors) {
        if (actor.renew && (await actor.client!.get('/api/auth/session')).status !== 200) actor.client = await actor.renew();
        await fc.assert(
          fc.asyncProperty(requestFor(entry), async (req) => {
            const status = await send(actor, entry, req);
            if (status >= 500) {
              failures.push(`${actor.name} ${entry.method.toUpperCase()} ${req.url} (${req.contentType}) ${JSON.stringify(req.body).slice(0, 120)} → ${status}`);
              return false;
            }
            return status >= 200 && status < 500;
          }),
          { numRuns: runs, endOnFailure: true },
        ).catch(() => undefined);
      }
    }
    assert.deepEqual(failures, []);
  });
});
