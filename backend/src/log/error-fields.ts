import path from 'node:path';
import { repoRoot } from '../paths.js';

const ROOT = repoRoot() + path.sep;
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
const MAX_FRAMES = 12;
const CODE = /^[A-Za-z0-9_]{1,40}$/;

export interface ErrorFields {
  errName: string;
  /** A stable code (PostgreSQL SQLSTATE, Node's ENOENT…), never a message. */
  code?: string;
  /** Stack frames of Kontor's own files only. */
  frames?: string;
}

/**
 * What an error log line may carry: its name, code and Kontor's own stack frames. Never the
 * message, and never a library frame: database drivers put SQL text and PostgreSQL's message
 * (which can quote values) into both, and multi-line SQL spills into the stack's first lines.
 */
export function errorFields(err: unknown): ErrorFields {
  const e = err instanceof Error ? err : undefined;
  const code = (err as { code?: unknown } | null)?.code;
  const frames = (e?.stack ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at ') && l.includes(ROOT) && !l.includes(NODE_MODULES))
    .slice(0, MAX_FRAMES)
    .map((l) => l.replace(ROOT, ''));
  return {
    errName: e ? e.name.slice(0, 60) : typeof err,
    ...(typeof code === 'string' && CODE.test(code) ? { code } : {}),
    ...(frames.length > 0 ? { frames: frames.join('\n') } : {}),
  };
}

/** A database (PostgreSQL) error: its message may quote SQL or values. */
export function isDatabaseError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'severity' in err && 'code' in err;
}
