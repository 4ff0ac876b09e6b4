import { Router, type Request, type Response } from 'express';
import type { RequestContext } from '../auth/context.js';
import type { Access, Area, Module } from '../tenancy/rights.js';
import { checkPathEncoding } from './params.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** What a guarded route needs beyond a valid session. */
export interface Requirement {
  right?: { area: Area; access: Access };
  module?: Module;
  /** Reachable while a password change is pending (session info, password change, logout). */
  allowPendingPasswordChange?: boolean;
  /** Reachable while a required second factor is not yet set up (session info, enrolment, renewal). */
  allowPendingMfaEnrolment?: boolean;
  /**
   * Renewal only: accept a genuine token up to 2 h (the largest idle limit) past its expiry, so a
   * user who read quietly for longer than the token's 15 minutes can still "stay signed in".
   * The session row's idle and absolute limits are checked as on every route.
   */
  acceptExpiredToken?: boolean;
  /**
   * Work on the request body that must not hold a database connection (streaming an upload to
   * disk). Runs after the full check has passed once; the check runs again before the handler.
   * `discard` is called when the request is refused or fails afterwards.
   */
  /**
   * A further right and module that depend on the object addressed (a calculation's kind). The
   * guard checks and audits them like the declared ones; throwing NotFound answers 404.
   */
  byObject?: (ctx: RequestContext, req: Request) => Promise<{ area: Area; access: Access; module?: Module }>;
  prepare?: {
    /** Cheap checks in the first transaction, so nothing is read for a request that will be refused. */
    check(ctx: RequestContext, req: Request): Promise<void>;
    run(req: Request): Promise<Prepared>;
  };
}

export interface Prepared {
  value: unknown;
  discard(): void;
}

/** A route names its module and right: `requires('leasing', 'write', { module: 'leasing' })`. */
export function requires(area: Area, access: Access, extra: Omit<Requirement, 'right'> = {}): Requirement {
  return { right: { area, access }, ...extra };
}

export const signedIn: Requirement = {};

export interface Result {
  status?: number;
  /** JSON body. */
  body?: unknown;
  /** A non-JSON body (CSV); the handler sets Content-Type. */
  raw?: string;
}

export type PublicHandler = (req: Request, res: Response) => Promise<Result | void>;
export type GuardedHandler = (ctx: RequestContext, req: Request, res: Response, prepared?: unknown) => Promise<Result | void>;
export type Guard = (requirement: Requirement, handler: GuardedHandler) => (req: Request, res: Response) => Promise<void>;

export interface RouteEntry {
  method: Method;
  path: string;
  access: 'public' | Requirement;
}

export function send(res: Response, result: Result | void): void {
  // A handler that answered itself (a redirect) is done.
  if (res.headersSent) return;
  if (result?.raw !== undefined) {
    res.status(result.status ?? 200).send(result.raw);
    return;
  }
  if (!result || result.body === undefined) {
    res.status(result?.status ?? 204).end();
    return;
  }
  res.status(result.status ?? 200).json(result.body);
}

/**
 * Every API route is registered here, public or guarded, so the table can be checked against
 * docs/openapi.yaml and the authorization matrix: a route cannot exist without a declared rule.
 */
export class RouteTable {
  readonly entries: RouteEntry[] = [];
  readonly router = Router();

  constructor(private readonly guard: Guard) {
    this.router.use(checkPathEncoding(() => this.entries.map((e) => e.path)));
  }

  public(method: Method, path: string, handler: PublicHandler): void {
    this.entries.push({ method, path, access: 'public' });
    this.router[method](path, async (req, res) => send(res, await handler(req, res)));
  }

  guarded(method: Method, path: string, requirement: Requirement, handler: GuardedHandler): void {
    this.entries.push({ method, path, access: requirement });
    this.router[method](path, this.guard(requirement, handler));
  }
}
