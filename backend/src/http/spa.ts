import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';

/**
 * Serves the built Ember app: hashed assets cached for a year, index.html revalidated on every
 * load, and every other non-API GET answered with index.html so deep links work.
 */
export function spaRoutes(staticDir: string): Router {
  const router = Router();
  const indexFile = path.join(staticDir, 'index.html');
  router.use(
    express.static(staticDir, {
      index: false,
      setHeaders(res, filePath) {
        if (filePath.includes(`${path.sep}assets${path.sep}`)) res.set('Cache-Control', 'public, max-age=31536000, immutable');
        else res.set('Cache-Control', 'no-cache');
      },
    }),
  );
  router.get(/^(?!\/api(\/|$)).*/, (_req, res, next) => {
    if (!fs.existsSync(indexFile)) {
      next();
      return;
    }
    res.set('Cache-Control', 'no-cache');
    res.sendFile(indexFile);
  });
  return router;
}
