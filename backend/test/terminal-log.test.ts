import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { systemClock } from '../src/clock.js';
import { createLogger } from '../src/log/logger.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function logged(level: 'info' | 'debug' | 'error') {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-log-'));
  dirs.push(home);
  const terminal: string[] = [];
  const logger = createLogger({ level, home, clock: systemClock, terminal: { write: (l) => void terminal.push(l) } });
  logger.info({ requestId: 'r-1', status: 200 }, 'request');
  logger.debug({ requestId: 'r-2' }, 'request');
  logger.warn({ importId: 'i-1' }, 'syslog shipping failed; will retry');
  logger.error({ requestId: 'r-3' }, 'unhandled error');
  logger.flush();
  const logDir = path.join(home, 'log');
  const file = fs.readdirSync(logDir).map((f) => fs.readFileSync(path.join(logDir, f), 'utf8')).join('');
  return { terminal: terminal.join(''), file };
}

describe('the terminal and the log file', () => {
  it('at the default level the terminal shows warnings and errors only; request lines go to the log file', () => {
    const { terminal, file } = logged('info');
    assert.doesNotMatch(terminal, /"msg":"request"/);
    assert.match(terminal, /syslog shipping failed/);
    assert.match(terminal, /unhandled error/);
    assert.match(file, /"requestId":"r-1"/);
    assert.match(file, /unhandled error/);
  });

  it('at LOG_LEVEL=debug request lines go to the terminal too', () => {
    const { terminal, file } = logged('debug');
    assert.match(terminal, /"requestId":"r-1"/);
    assert.match(terminal, /"requestId":"r-2"/);
    assert.match(file, /"requestId":"r-2"/);
  });

  it('a stricter level than warn holds for the terminal as well', () => {
    const { terminal } = logged('error');
    assert.doesNotMatch(terminal, /syslog shipping failed/);
    assert.match(terminal, /unhandled error/);
  });
});
