import EmberApp from 'ember-cli/lib/broccoli/ember-app.js';
import { compatBuild } from '@embroider/compat';

export default async function (defaults) {
  const { buildOnce } = await import('@embroider/vite');

  const app = new EmberApp(defaults, {});

  // Routes a first visit does not need load with their route (@embroider/router): the result page
  // brings Chart.js, the admin and platform areas their tables and forms.
  return compatBuild(app, buildOnce, {
    // app/utils is imported by name only (never looked up by the resolver): each util ships with the
    // code that imports it instead of in the entry point.
    staticAppPaths: ['utils'],
    splitAtRoutes: ['app.index', 'app.calculation', 'app.container', 'app.containers', 'app.templates', 'app.admin', 'app.platform', 'app.security', 'app.sessions', 'app.password', 'recovery', 'invitation'],
  });
}
