import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/net/free-port.js';

/**
 * Debian's OpenLDAP server for the test suite: a generated slapd.conf in a temporary folder,
 * listening on free ports (ldap:// for StartTLS, ldaps://), with a throw-away CA and server
 * certificate made by openssl, the memberof overlay (groups) and ppolicy (locked accounts).
 * Passwords are random per run.
 */
export interface TestDirectory {
  ldapUrl: string;
  ldapsUrl: string;
  caPem: string;
  /** Another CA that did not sign the server's certificate. */
  otherCaPem: string;
  base: string;
  serviceDn: string;
  servicePassword: string;
  addUser(uid: string, mail: string, options?: { groups?: string[]; locked?: boolean }): Promise<{ dn: string; password: string }>;
  setLocked(dn: string, locked: boolean): void;
  addGroup(cn: string): Promise<string>;
  addToGroup(groupDn: string, memberDn: string): Promise<void>;
  stop(): Promise<void>;
}

const SBIN = ['/usr/sbin', '/sbin'];
const bin = (name: string) => [...(process.env.PATH ?? '').split(':'), ...SBIN].map((d) => path.join(d, name)).find((p) => fs.existsSync(p)) ?? name;

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=Kontor test CA ${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`], dir);
}

export async function startSlapd(): Promise<TestDirectory> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-slapd-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  fs.writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr'], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.cnf', '-out', 'server.pem'], dir);
  fs.chmodSync(path.join(dir, 'server.key'), 0o644);

  const base = 'dc=bank,dc=example';
  const rootDn = `cn=admin,${base}`;
  const rootPassword = randomBytes(12).toString('hex');
  const hashed = execFileSync(bin('slappasswd'), ['-s', rootPassword], { encoding: 'utf8' }).trim();
  fs.mkdirSync(path.join(dir, 'db'));
  fs.writeFileSync(path.join(dir, 'slapd.conf'), [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'moduleload memberof',
    'moduleload ppolicy',
    `pidfile ${dir}/slapd.pid`,
    `TLSCACertificateFile ${dir}/ca.pem`,
    `TLSCertificateFile ${dir}/server.pem`,
    `TLSCertificateKeyFile ${dir}/server.key`,
    'database mdb',
    `suffix "${base}"`,
    `rootdn "${rootDn}"`,
    `rootpw ${hashed}`,
    `directory ${dir}/db`,
    'overlay memberof',
    'overlay ppolicy',
    `ppolicy_default "cn=default,ou=policies,${base}"`,
    'access to attrs=userPassword by anonymous auth by self write by * none',
    'access to * by self read by users read by * none',
    '',
  ].join('\n'));
  const ldapPort = await freePort();
  const ldapsPort = await freePort();
  const ldapUrl = `ldap://127.0.0.1:${ldapPort}`;
  const ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
  const child: ChildProcess = spawn(bin('slapd'), ['-f', path.join(dir, 'slapd.conf'), '-h', `${ldapUrl}/ ${ldapsUrl}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => { errors += d.toString(); });

  const add = (ldif: string) => execFileSync(bin('ldapadd'), ['-x', '-H', ldapUrl, '-D', rootDn, '-w', rootPassword], { input: ldif, stdio: ['pipe', 'pipe', 'pipe'] });
  const modify = (ldif: string) => execFileSync(bin('ldapmodify'), ['-x', '-H', ldapUrl, '-D', rootDn, '-w', rootPassword], { input: ldif, stdio: ['pipe', 'pipe', 'pipe'] });
  for (let i = 0; ; i++) {
    try {
      add(`dn: ${base}\nobjectClass: dcObject\nobjectClass: organization\ndc: bank\no: Test Bank\n`);
      break;
    } catch (err) {
      if (child.exitCode !== null || i > 50) throw new Error(`slapd did not start: ${errors} ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  add([
    `dn: ou=people,${base}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ou=groups,${base}\nobjectClass: organizationalUnit\nou: groups\n`,
    `dn: ou=policies,${base}\nobjectClass: organizationalUnit\nou: policies\n`,
    `dn: cn=default,ou=policies,${base}\nobjectClass: organizationalRole\nobjectClass: pwdPolicy\ncn: default\npwdAttribute: userPassword\npwdLockout: TRUE\npwdMaxFailure: 50\n`,
  ].join('\n'));
  const servicePassword = randomBytes(12).toString('hex');
  const serviceDn = `cn=kontor-search,${base}`;
  add(`dn: ${serviceDn}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: kontor-search\nuserPassword: ${servicePassword}\n`);

  const directory: TestDirectory = {
    ldapUrl, ldapsUrl, base, serviceDn, servicePassword,
    caPem: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    otherCaPem: fs.readFileSync(path.join(dir, 'other-ca.pem'), 'utf8'),
    async addUser(uid, mail, options = {}) {
      const dn = `uid=${uid},ou=people,${base}`;
      const password = `Dir-${randomBytes(9).toString('base64url')}`;
      add(`dn: ${dn}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\ndisplayName: Directory ${uid}\nmail: ${mail}\nuserPassword: ${password}\n`);
      for (const g of options.groups ?? []) await directory.addToGroup(g, dn);
      if (options.locked) directory.setLocked(dn, true);
      return { dn, password };
    },
    setLocked(dn, locked) {
      // ppolicy: 000001010000Z locks the account until an administrator removes the attribute.
      modify(locked ? `dn: ${dn}\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n` : `dn: ${dn}\nchangetype: modify\ndelete: pwdAccountLockedTime\n`);
    },
    async addGroup(cn) {
      const dn = `cn=${cn},ou=groups,${base}`;
      add(`dn: ${dn}\nobjectClass: groupOfNames\ncn: ${cn}\nmember: ${serviceDn}\n`);
      return dn;
    },
    async addToGroup(groupDn, memberDn) {
      modify(`dn: ${groupDn}\nchangetype: modify\nadd: member\nmember: ${memberDn}\n`);
    },
    stop: () => new Promise((resolve) => {
      const done = () => {
        fs.rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null) return done();
      child.once('exit', done);
      child.kill('SIGTERM');
    }),
  };
  return directory;
}
