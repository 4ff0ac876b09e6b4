import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Replaces ${NAME} as the official nginx image's envsubst does: only the names given, nginx's own $vars stay. */
export function envsubst(template: string, vars: Record<string, string>): string {
  return template.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** A throw-away self-signed certificate for 127.0.0.1 and localhost, valid for a day. */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'tls.crt');
  const key = path.join(dir, 'tls.key');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  fs.chmodSync(key, 0o600);
  return { cert, key };
}

/** What the production server blocks need from a test: where they listen and what they serve. */
export interface ServerBlockOptions {
  repoRoot: string;
  prefix: string;
  apiUpstream: string;
  /** A second API instance (multi-instance runs); else the first twice. */
  apiUpstream2?: string;
  staticRoot: string;
  tls: { cert: string; key: string };
}

/**
 * Renders the production server blocks (nginx/templates/kontor.conf.template) with `listen`
 * values and the local main config around them into the prefix directory; `before` goes ahead of
 * the server blocks (the relay's stream include). Returns the main config's path.
 */
export function writeNginxConfig(options: ServerBlockOptions & {
  serverName: string; httpListen: string; httpsListen: string; before?: string;
}): string {
  const nginxDir = path.resolve(options.repoRoot, 'nginx');
  const server = envsubst(fs.readFileSync(path.join(nginxDir, 'templates', 'kontor.conf.template'), 'utf8'), {
    KONTOR_SERVER_NAME: options.serverName,
    KONTOR_API_UPSTREAM: options.apiUpstream,
    KONTOR_API_UPSTREAM_2: options.apiUpstream2 ?? options.apiUpstream,
    KONTOR_HTTP_PORT: options.httpListen,
    KONTOR_HTTPS_PORT: options.httpsListen,
    KONTOR_TLS_CERT: options.tls.cert,
    KONTOR_TLS_KEY: options.tls.key,
    KONTOR_STATIC_ROOT: options.staticRoot,
    KONTOR_SNIPPETS: path.join(nginxDir, 'snippets'),
    KONTOR_IMPORT_MAX: '2g',
  });
  const unfilled = /\$\{[A-Z0-9_]+\}/.exec(server);
  if (unfilled) throw new Error(`nginx template variable not set: ${unfilled[0]}`);
  fs.writeFileSync(path.join(options.prefix, 'kontor.conf'), (options.before ?? '') + server);
  const main = fs.readFileSync(path.join(nginxDir, 'kontor-local.conf.template'), 'utf8').replaceAll('@@PREFIX@@', options.prefix);
  const file = path.join(options.prefix, 'nginx.conf');
  fs.writeFileSync(file, main);
  return file;
}

/** The production server blocks on local TCP ports, as the e2e suite serves them. */
export function renderLocalConfig(options: ServerBlockOptions & { httpPort: number; httpsPort: number }): string {
  return writeNginxConfig({
    ...options,
    serverName: 'localhost 127.0.0.1',
    httpListen: `127.0.0.1:${options.httpPort}`,
    httpsListen: `127.0.0.1:${options.httpsPort}`,
  });
}
