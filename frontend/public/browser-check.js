/* Runs before the app in every browser, including old ones: plain ES5, no modules.
   Browsers that cannot run the app (no ES modules, fetch or Promise, e.g. Internet Explorer)
   are sent to a page that says which browsers work. */
(function () {
  var script = document.createElement('script');
  var modern = 'noModule' in script && typeof window.fetch === 'function' && typeof window.Promise === 'function';
  if (!modern && location.pathname !== '/unsupported.html') location.replace('/unsupported.html');
})();
