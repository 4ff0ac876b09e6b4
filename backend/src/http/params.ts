import type { Request, RequestHandler } from 'express';
import { fail } from './error-catalogue.js';
import { z } from 'zod';

const uuid = z.string().uuid();

/**
 * The one parser of path ids for every route: a malformed id is a 400 naming the parameter
 * (it reveals nothing: an id of another bank that is well-formed still answers 404).
 */
export function pathId(req: Request, name = 'id'): string {
  const parsed = uuid.safeParse(req.params[name]);
  if (!parsed.success) throw fail('invalid_id', { field: name });
  return parsed.data;
}

function patternOf(path: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split(/(:\w+)/)
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(part.slice(1));
      return '([^/]+)';
    })
    .join('');
  // As Express's router matches: case-insensitive, an optional trailing slash.
  return { regex: new RegExp(`^${source}/?$`, 'i'), names };
}

/**
 * Express decodes path parameters while it matches a route and answers a bad `%` escape with a
 * bare URIError (a 500, before any guard runs). This runs first and names the parameter instead.
 */
export function checkPathEncoding(paths: () => string[]): RequestHandler {
  let compiled: { paths: string[]; patterns: ReturnType<typeof patternOf>[] } | undefined;
  return (req, _res, next) => {
    const current = paths();
    if (compiled?.paths.length !== current.length) compiled = { paths: current, patterns: current.filter((p) => p.includes(':')).map(patternOf) };
    for (const { regex, names } of compiled.patterns) {
      const m = regex.exec(req.path);
      if (!m) continue;
      for (let i = 0; i < names.length; i++) {
        try {
          decodeURIComponent(m[i + 1]!);
        } catch {
          const field = names[i]!;
          next(field === 'id' || field.endsWith('Id') ? fail('invalid_id', { field }) : fail('invalid_input', { reason: 'url_encoding', field }));
          return;
        }
      }
    }
    next();
  };
}

/** Text PostgreSQL cannot store (text and jsonb): NUL, and UTF-16 halves without their partner. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this pattern finds
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MAX_FIELD = 60;

/** The path of the first unstorable string or key in `root` (`whole` when it is at the top). */
function unstorableIn(root: unknown, whole: string): string | undefined {
  // Iterative: a deeply nested body must not exhaust the stack.
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) return path || whole;
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, path: path ? `${path}.${i}` : String(i) }));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (UNSTORABLE.test(k)) return path || whole;
        stack.push({ value: v, path: path ? `${path}.${k}` : k });
      }
    }
  }
  return undefined;
}

/** NUL bytes and broken UTF-16 in the query or a JSON body are a 400 naming the field, not a database error. */
export const rejectUnstorableText: RequestHandler = (req, _res, next) => {
  const field = unstorableIn(req.query, 'query') ?? unstorableIn(req.body, 'body');
  if (field === undefined) {
    next();
    return;
  }
  const name = field.slice(0, MAX_FIELD);
  next(fail('invalid_text', { field: name }));
};
