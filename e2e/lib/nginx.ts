import fs from 'node:fs';
import path from 'node:path';

/** Fills nginx/kontor-local.conf.template for a throw-away prefix directory. */
export function renderLocalConfig(options: {
  repoRoot: string;
  prefix: string;
  listenPort: number;
  apiUpstream: string;
  staticRoot: string;
}): string {
  const template = fs.readFileSync(path.join(options.repoRoot, 'nginx', 'kontor-local.conf.template'), 'utf8');
  const conf = template
    .replaceAll('@@PREFIX@@', options.prefix)
    .replaceAll('@@LISTEN_PORT@@', String(options.listenPort))
    .replaceAll('@@API_UPSTREAM@@', options.apiUpstream)
    .replaceAll('@@STATIC_ROOT@@', options.staticRoot);
  const file = path.join(options.prefix, 'nginx.conf');
  fs.writeFileSync(file, conf);
  return file;
}
