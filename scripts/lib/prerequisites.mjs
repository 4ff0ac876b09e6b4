// The Debian packages the suites need beyond npm's. As root with apt-get they are installed when
// missing (what a fresh machine of this kind needs); otherwise the caller stops with one line
// naming them and the command that installs them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** command that must be on the PATH -> the Debian package that provides it */
const PACKAGE_OF = {
  chromium: 'chromium',
  nginx: 'nginx',
  openssl: 'openssl',
  'docker-compose': 'docker-compose',
  slapd: 'slapd',
  ldapadd: 'ldap-utils',
  pgbouncer: 'pgbouncer',
};

/** What each suite runs besides node: a browser, the web server, the compose validator, a directory server. */
export const NEEDS = {
  // The passkey suite drives Chromium's virtual authenticator; the LDAP suite runs slapd; the
  // PgBouncer suite runs pgbouncer in transaction mode.
  backend: ['slapd', 'ldapadd', 'chromium', 'openssl', 'pgbouncer'],
  frontend: ['chromium'],
  e2e: ['chromium', 'nginx', 'openssl'],
  checks: ['docker-compose', 'nginx'],
};

// slapd lives in /usr/sbin, which a non-root PATH may lack.
const SEARCH_PATH = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin'].filter(Boolean);
const onPath = (command) => SEARCH_PATH.some((dir) => {
  try {
    fs.accessSync(path.join(dir, command), fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

/** The Debian packages missing for these suites, each once, in a stable order. */
export function missingPackages(suiteNames) {
  const commands = [...new Set(suiteNames.flatMap((s) => NEEDS[s] ?? []))];
  return [...new Set(commands.filter((c) => !onPath(c)).map((c) => PACKAGE_OF[c]))];
}

/**
 * Installs the packages with apt-get when running as root on a machine with apt-get. Returns
 * undefined when done, or one line saying what is missing and how to install it.
 */
export function installPackages(packages, log = (line) => process.stdout.write(`${line}\n`)) {
  if (packages.length === 0) return undefined;
  const command = `apt-get install -y ${packages.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    return `missing Debian packages: ${packages.join(', ')}; install them with: sudo ${command}`;
  }
  log(`installing missing Debian packages: ${packages.join(', ')}`);
  const logFile = path.join(os.tmpdir(), `kontor-apt-${process.pid}.log`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...packages]]) {
    const r = spawnSync('apt-get', args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    fs.appendFileSync(logFile, `$ apt-get ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
    if (r.status !== 0) return `could not install ${packages.join(', ')} (apt-get ${args[0]} failed, see ${logFile}); install them with: ${command}`;
  }
  const still = packages.filter((p) => Object.entries(PACKAGE_OF).some(([c, pkg]) => pkg === p && !onPath(c)));
  if (still.length) return `installed ${still.join(', ')} but the commands are still missing (see ${logFile})`;
  fs.rmSync(logFile, { force: true });
  return undefined;
}
