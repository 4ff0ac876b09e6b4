import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs `npm run kontor -- …` against the e2e instance, as an operator would. */
export function kontorCli(...args: string[]): string {
  const env = { ...process.env, ...(JSON.parse(process.env.E2E_CLI_ENV ?? '{}') as Record<string, string>) };
  return execFileSync(process.execPath, [path.join(repoRoot, 'backend/dist/backend/src/cli/main.js'), ...args], { env, encoding: 'utf8' });
}
