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
  /** Where terminal lines go instead of stdout (tests). */
  terminal?: { write(line: string): void };
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

/**
 * The terminal is for a person: warnings and errors (and the banner, written by main.ts). Request
 * lines and other info go to the log file; to the terminal too only at LOG_LEVEL=debug or trace.
 * Without a log file (tools, tests) the terminal gets the configured level.
 */
function terminalLevel(level: pino.Level, hasFile: boolean): pino.Level {
  if (!hasFile || level === 'debug' || level === 'trace') return level;
  return pino.levels.values[level]! > pino.levels.values.warn! ? level : 'warn';
}

export function createLogger(options: LoggerOptions): Logger {
  // A silent logger emits nothing; its streams still need a real level.
  const level = options.level === 'silent' ? 'fatal' : (options.level as pino.Level);
  const streams: pino.StreamEntry[] = [];
  if (options.toStdout !== false) {
    streams.push({ level: terminalLevel(level, Boolean(options.home)), stream: options.terminal ?? pino.destination({ dest: 1, sync: true }) });
  }
  if (options.destination) streams.push({ level, stream: options.destination });
  if (options.home) {
    streams.push({ level, stream: new DailyFileStream(path.join(options.home, 'log'), options.keepDays ?? 30, options.clock) });
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
