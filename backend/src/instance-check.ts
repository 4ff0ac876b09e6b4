/**
 * Runs before `npm start` builds anything (package.json `prestart`): a second start on the same
 * checkout would rebuild frontend/dist under the running server, which then answers 404s.
 */
import { loadConfig } from './config.js';
import { runningServer, AlreadyRunning } from './instance-lock.js';

try {
  const { home } = loadConfig();
  const pid = runningServer(home);
  if (pid !== undefined) {
    process.stderr.write(`${new AlreadyRunning(pid, home).message}\nNothing was built or started.\n`);
    process.exit(1);
  }
} catch {
  // A wrong setting is reported, by name, when the server itself starts.
}
