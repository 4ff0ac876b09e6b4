import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { addUser, createTenantWithUser, startTestKontor, type TestKontor, type TestUser } from './helpers/app.js';
import { Client } from './helpers/client.js';
import { startSlapd, type TestDirectory } from './helpers/slapd.js';
import { roleId } from './helpers/tenancy.js';

/**
 * LDAP sign-in against a real OpenLDAP (Debian's slapd, started by the suite with a generated
 * config, a throw-away CA, groups through memberof and locked accounts through ppolicy).
 */
let t: TestKontor;
let ldap: TestDirectory;
let admin: TestUser;
let domain: string;
let analystsDn: string;

async function configure(body: Record<string, unknown>) {
  const c = new Client(t.url);
  assert.equal((await c.login(admin.email, admin.password)).status, 200);
  return c.request('PUT', '/api/directory', {
    method: 'ldap', url: ldap.ldapsUrl, caPem: ldap.caPem, emailDomains: [domain], bindDnTemplate: `uid={local},ou=people,${ldap.base}`, ...body,
  });
}

const signIn = (email: string, password: string, c = new Client(t.url)) => c.post('/api/auth/login/directory', { email, password }).then((res) => ({ res, c }));

/** A Kontor user and a directory entry with the same email. */
async function person(options: { groups?: string[]; locked?: boolean; kontor?: boolean } = {}) {
  const uid = `p${randomBytes(4).toString('hex')}`;
  const email = `${uid}@${domain}`;
  const entry = await ldap.addUser(uid, email, options);
  let user: TestUser | undefined;
  if (options.kontor ?? true) {
    user = await addUser(t, admin.tenantId, { roles: ['reader'] });
    await t.owner('users').where({ id: user.id }).update({ email });
  }
  return { uid, email, ...entry, user };
}

const lastReason = async (userId: string) => (await t.owner('login_events').where({ user_id: userId }).orderBy('id', 'desc').first('reason'))?.reason;

before(async () => {
  ldap = await startSlapd();
  t = await startTestKontor();
  admin = await createTenantWithUser(t, { roles: ['tenant_admin'] });
  domain = `ldap-${randomBytes(3).toString('hex')}.example`;
  analystsDn = await ldap.addGroup(`analysts-${randomBytes(2).toString('hex')}`);
  const res = await configure({});
  assert.equal(res.status, 200, JSON.stringify(res.body));
});
after(async () => {
  await t?.close();
  await ldap?.stop();
});

describe('LDAP sign-in', () => {
  it('bind success over ldaps:// opens the usual session; the password is neither stored nor logged', async () => {
    const p = await person();
    const { res, c } = await signIn(p.email, p.password);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.user.id, p.user!.id);
    assert.equal((await c.get('/api/auth/session')).status, 200);
    assert.equal(await lastReason(p.user!.id), 'ok_ldap');
    assert.deepEqual(await t.owner('user_directory_links').where({ user_id: p.user!.id }).first('method', 'subject'), { method: 'ldap', subject: p.dn.toLowerCase() });
    assert.ok(!t.logLines.some((l) => l.includes(p.password)), 'the password is not in the log');
    const stored = JSON.stringify(await t.owner('password_credentials').where({ user_id: p.user!.id }).first());
    assert.ok(!stored.includes(p.password));
  });

  it('StartTLS on ldap:// works; a plain ldap:// without StartTLS cannot even be configured', async () => {
    const p = await person();
    const refused = await configure({ url: ldap.ldapUrl, startTls: false });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.field, 'url');
    assert.equal((await configure({ url: ldap.ldapUrl, startTls: true })).status, 200);
    try {
      assert.equal((await signIn(p.email, p.password)).res.status, 200);
    } finally {
      assert.equal((await configure({})).status, 200);
    }
  });

  it('a server certificate from another CA is refused before any password is sent', async () => {
    const p = await person();
    assert.equal((await configure({ caPem: ldap.otherCaPem })).status, 200);
    try {
      const { res } = await signIn(p.email, p.password);
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'directory_unavailable');
      assert.equal((await signIn(p.email, p.password, new Client(t.url))).c.session, undefined);
    } finally {
      assert.equal((await configure({})).status, 200);
    }
  });

  it('wrong passwords count toward the same lock as Kontor passwords; then even the right one is refused', async () => {
    const p = await person();
    for (let i = 0; i < 4; i++) {
      const { res } = await signIn(p.email, `wrong-${i}`);
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'invalid_credentials');
    }
    const row = await t.owner('users').where({ id: p.user!.id }).first('status', 'failed_login_count');
    assert.deepEqual(row, { status: 'locked', failed_login_count: 4 });
    assert.equal((await signIn(p.email, p.password)).res.status, 401);
    assert.equal(await lastReason(p.user!.id), 'locked');
    // The Kontor password route is locked for the user as well.
    assert.equal((await new Client(t.url).login(p.email, p.user!.password)).status, 401);
  });

  it('an account locked in the directory (ppolicy) cannot sign in; unlocked, it can', async () => {
    const p = await person({ locked: true });
    assert.equal((await signIn(p.email, p.password)).res.status, 401);
    assert.equal(await lastReason(p.user!.id), 'wrong_password');
    ldap.setLocked(p.dn, false);
    assert.equal((await signIn(p.email, p.password)).res.status, 200);
  });

  it('group mapping: JIT creates the user with the mapped roles; existing users get them at sign-in; no mapped group, no account', async () => {
    const analyst = await roleId(t.owner, 'analyst');
    assert.equal((await configure({ jit: true, groupRoles: { [analystsDn]: [analyst] } })).status, 200);
    try {
      const fresh = await person({ kontor: false, groups: [analystsDn] });
      const { res } = await signIn(fresh.email, fresh.password);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.tenant.id, admin.tenantId);
      assert.ok(res.body.permissions.includes('containers:write'));
      assert.ok(!res.body.permissions.includes('users:write'));

      const existing = await person({ groups: [analystsDn] });
      const before = await new Client(t.url).login(existing.email, existing.user!.password);
      assert.ok(!before.body.permissions.includes('containers:write'), 'a reader before');
      const after = (await signIn(existing.email, existing.password)).res;
      assert.ok(after.body.permissions.includes('containers:write'), 'an analyst after the directory sign-in');

      const outsider = await person({ kontor: false });
      assert.equal((await signIn(outsider.email, outsider.password)).res.status, 401);
      assert.equal(await t.owner('users').where({ email: outsider.email }).first('id'), undefined);
    } finally {
      assert.equal((await configure({ jit: false, groupRoles: {} })).status, 200);
    }
  });

  it('JIT race: 24 parallel first sign-ins of one new person create exactly one user, each answered 200, never 500', async () => {
    const analyst = await roleId(t.owner, 'analyst');
    assert.equal((await configure({ jit: true, groupRoles: { [analystsDn]: [analyst] } })).status, 200);
    try {
      for (let round = 0; round < 2; round++) {
        const fresh = await person({ kontor: false, groups: [analystsDn] });
        const results = await Promise.all(Array.from({ length: 24 }, () => signIn(fresh.email, fresh.password)));
        const statuses = results.map((r) => r.res.status);
        assert.deepEqual([...new Set(statuses)], [200], JSON.stringify(results.find((r) => r.res.status !== 200)?.res.body));
        const users = await t.owner('users').whereRaw('lower(email) = lower(?)', [fresh.email]).pluck('id');
        assert.equal(users.length, 1);
        assert.ok(results.every((r) => r.res.body.user.id === users[0]));
        assert.equal(Number((await t.owner('user_directory_links').where({ user_id: users[0] }).count<{ n: string }[]>('* as n'))[0]!.n), 1);
      }
    } finally {
      assert.equal((await configure({ jit: false, groupRoles: {} })).status, 200);
    }
  });

  it('unknown users are refused without JIT; search-then-bind escapes the email in the filter', async () => {
    const stranger = await person({ kontor: false });
    assert.equal((await signIn(stranger.email, stranger.password)).res.status, 401);
    const p = await person();
    assert.equal((await configure({ bindDnTemplate: null, searchBase: ldap.base, searchFilter: '(mail={email})', searchDn: ldap.serviceDn, searchPassword: ldap.servicePassword })).status, 200);
    try {
      assert.equal((await signIn(p.email, p.password)).res.status, 200);
      // A wildcard typed as the address must not find p's entry (filter injection).
      const wildcard = `${p.uid.slice(0, 4)}*@${domain}`;
      assert.equal((await signIn(wildcard, p.password)).res.status, 401);
    } finally {
      assert.equal((await configure({})).status, 200);
    }
  });
});
