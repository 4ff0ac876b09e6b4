import { pathId } from '../http/params.js';
import { signedIn, type Result, type RouteTable } from '../http/route-table.js';
import { isPending, type FourEyes, type Pending } from './four-eyes.js';
import { decisionBody } from './schemas.js';

/** A change under four-eyes answers 202 with its approval instead of its usual result. */
export function changeResult(result: unknown, status = 200): Result {
  if (isPending(result)) return { status: 202, body: { approvalId: result.approvalId, status: 'pending' } satisfies Pending };
  return result === undefined ? {} : { status, body: result };
}

/**
 * Pending four-eyes changes. Signed-in only at the route: each approval names the right an
 * approver must hold, and the service checks it per approval (and lists only what the caller may
 * see: their own proposals and those needing a right they hold).
 */
export function approvalRoutes(routes: RouteTable, fourEyes: FourEyes): void {
  routes.guarded('get', '/approvals', signedIn, async (ctx) => ({ body: await fourEyes.list(ctx) }));
  routes.guarded('post', '/approvals/:id/approve', signedIn, async (ctx, req) => {
    decisionBody.parse(req.body ?? {});
    return { body: await fourEyes.approve(ctx, pathId(req)) };
  });
  routes.guarded('post', '/approvals/:id/reject', signedIn, async (ctx, req) => {
    decisionBody.parse(req.body ?? {});
    return { body: await fourEyes.reject(ctx, pathId(req)) };
  });
}
