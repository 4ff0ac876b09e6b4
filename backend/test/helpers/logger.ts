import type { Logger } from 'pino';
import { systemClock } from '../../src/clock.js';
import { createLogger } from '../../src/log/logger.js';

/** The production logger (same redaction) writing into memory, so tests can assert what was (not) logged. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', clock: systemClock, toStdout: false, destination: { write: (l) => void lines.push(l) } });
  return { logger, lines };
}
