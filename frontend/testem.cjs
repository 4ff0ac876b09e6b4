'use strict';

// Debian's Chromium; as root it needs --no-sandbox.
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

module.exports = {
  test_page: 'tests/index.html?hidepassed',
  cwd: 'dist-tests',
  disable_watching: true,
  // The root test runner reads the results from this TAP file (scripts/test-all.mjs).
  report_file: process.env.KONTOR_TESTEM_REPORT || undefined,
  launch_in_ci: ['Chromium'],
  launch_in_dev: ['Chromium'],
  browser_start_timeout: 120,
  browser_args: {
    Chromium: {
      ci: [
        process.env.CI || isRoot ? '--no-sandbox' : null,
        '--headless',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-software-rasterizer',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--mute-audio',
        '--remote-debugging-port=0',
        '--window-size=1440,900',
      ].filter(Boolean),
    },
  },
};
