import type { RequestHandler } from 'express';
import { fail } from '../http/error-catalogue.js';
import type { Clock } from '../clock.js';

export interface ThrottleOptions {
  limit: number;
  windowSeconds: number;
}

/**
 * Per-client-address fixed-window limiter for sign-in and recovery. In memory, per instance:
 * nginx's limit_req is the shared first line; this one protects a directly exposed API too.
 */
export function throttle(name: string, options: ThrottleOptions, clock: Clock): RequestHandler {
  const windows = new Map<string, { start: number; count: number }>();
  return (req, _res, next) => {
    const now = clock.now().getTime();
    const key = `${name}:${req.ip ?? 'unknown'}`;
    let w = windows.get(key);
    if (!w || now - w.start >= options.windowSeconds * 1000) {
      w = { start: now, count: 0 };
      windows.set(key, w);
      if (windows.size > 10_000) {
        for (const [k, v] of windows) if (now - v.start >= options.windowSeconds * 1000) windows.delete(k);
      }
    }
    w.count++;
    if (w.count > options.limit) {
      next(fail('too_many_requests', { headers: { 'Retry-After': String(Math.max(1, Math.ceil((w.start + options.windowSeconds * 1000 - now) / 1000))) } }));
      return;
    }
    next();
  };
}
