import { createHmac } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Knex } from 'knex';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { fail } from '../http/error-catalogue.js';
import { unnamedStatements } from './throttle-store.js';

export interface ThrottleOptions {
  limit: number;
  windowSeconds: number;
}

/**
 * Per-client-address fixed-window limiter for sign-in, recovery and password changes, shared by
 * every instance of a cluster: rate-limiter-flexible's PostgreSQL store (table `rate_limits`, one
 * atomic upsert per request, so parallel requests on several instances never count past the
 * limit), without server-side prepared statements (throttle-store.ts: PgBouncer). The key is an HMAC of the address with the cluster's LOGIN_EVENT_KEY: no address is
 * stored. nginx's limit_req stays the first line in front. Expired rows go in the retention run.
 */
export function throttle(name: string, options: ThrottleOptions, d: { db: Knex; hmacKey: string }): RequestHandler {
  const limiter = new RateLimiterPostgres({
    storeClient: unnamedStatements(d.db), storeType: 'pool', tableName: 'rate_limits', tableCreated: true, clearExpiredByTimeout: false,
    keyPrefix: name, points: options.limit, duration: options.windowSeconds,
  });
  return (req, _res, next) => {
    const key = createHmac('sha256', d.hmacKey).update(`${name}\0${req.ip ?? 'unknown'}`).digest('base64url');
    limiter.consume(key).then(
      () => next(),
      (refused: unknown) => {
        if (refused instanceof RateLimiterRes) next(fail('too_many_requests', { headers: { 'Retry-After': String(Math.max(1, Math.ceil(refused.msBeforeNext / 1000))) } }));
        else next(refused);
      },
    );
  };
}
