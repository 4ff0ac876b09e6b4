import path from 'node:path';
import { pino, type Logger } from 'pino';
import type { Clock } from '../clock.js';
import { DailyFileStream } from './daily-file-stream.js';

export type { Logger };

export interface LoggerOptions {
  level: string;
  home?: string;
  keepDays?: number;
  clock: Clock;
  toStdout?: boolean;
  /** An extra destination (tests capture lines here). */
  destination?: { write(line: string): void };
}

/** Anything that might carry a credential is blanked even if a caller logs it by mistake. */
const REDACT = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  'password',
  '*.password',
  'token',
  '*.token',
  'query',
  '*.query',
];

export function createLogger(options: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [];
  if (options.toStdout !== false) streams.push({ stream: pino.destination({ dest: 1, sync: true }) });
  if (options.destination) streams.push({ stream: options.destination });
  if (options.home) {
    streams.push({ stream: new DailyFileStream(path.join(options.home, 'log'), options.keepDays ?? 30, options.clock) });
  }
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT, censor: '[redacted]' },
      base: { app: 'kontor' },
      timestamp: () => `,"time":"${options.clock.now().toISOString()}"`,
    },
    pino.multistream(streams),
  );
}
