import EmberRouter from '@embroider/router';
import config from 'frontend/config/environment';

export default class Router extends EmberRouter {
  location = config.locationType;
  rootURL = config.rootURL;
}

Router.map(function () {
  this.route('login');
  this.route('recovery');
  this.route('invitation', { path: '/invitation/:token' });
  // Everything below needs a live session; the backend decides, this only routes.
  this.route('app', { path: '/' }, function () {
    this.route('password');
    this.route('security');
    this.route('sessions');
    this.route('containers');
    this.route('container', { path: '/containers/:id' });
    this.route('calculation', { path: '/calculations/:id' });
    this.route('templates');
    this.route('admin', function () {
      this.route('users');
      this.route('roles');
      this.route('audit');
      this.route('logins');
      this.route('settings');
      this.route('directory');
      this.route('approvals');
      this.route('recertifications');
      this.route('recertification', { path: '/recertifications/:id' });
      this.route('vendor-access');
    });
    this.route('platform', function () {
      this.route('tenants');
      this.route('users');
      this.route('access');
    });
  });
  this.route('not-found', { path: '/*path' });
});
