import type RouterService from '@ember/routing/router-service';
import type SessionService from 'frontend/services/session';

/** Pages hide what is not allowed; the backend decides. This keeps people off empty pages and says so. */
export function requireAny(session: SessionService, router: RouterService, rights: [string, 'read' | 'write'][]): void {
  if (session.canAny(...rights)) return;
  session.denied = true;
  router.transitionTo('app.index');
}
