import fs from 'node:fs';
import path from 'node:path';

/** Another server already runs on this KONTOR_HOME (its embedded database with it). */
export class AlreadyRunning extends Error {
  constructor(readonly pid: number, readonly home: string) {
    super(`Kontor is already running on ${home} (process ${pid}). Stop it first (Ctrl-C in its terminal), or set KONTOR_HOME to another directory.`);
    this.name = 'AlreadyRunning';
  }
}

function lockFile(home: string): string {
  return path.join(home, 'kontor.pid');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the server that holds this home, if that process still runs. */
export function runningServer(home: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(lockFile(home), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text, 10);
  return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}

/**
 * Takes $KONTOR_HOME/kontor.pid for this process, or throws AlreadyRunning. A lock left by a
 * process that is gone (a crash, a kill -9) is taken over. `release` removes it only while it is ours.
 */
export function acquireInstanceLock(home: string): { release(): void } {
  const file = lockFile(home);
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const other = runningServer(home);
      if (other !== undefined) throw new AlreadyRunning(other, home);
      fs.rmSync(file, { force: true });
    }
  }
  return {
    release() {
      try {
        if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file);
      } catch {
        // already gone
      }
    },
  };
}
