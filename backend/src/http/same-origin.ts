import type { RequestHandler } from 'express';
import { fail } from './error-catalogue.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Server-to-server posts that use no cookie: the bank's OpenID Provider's back-channel logout (its signed token is the proof). */
const NOT_FROM_BROWSERS = /^\/auth\/oidc\/backchannel-logout\//;

/**
 * State-changing requests must come from our own origin: a matching `Origin` header, or, where a
 * client sends none, the custom `X-Requested-With: kontor` header (which no cross-site form can set).
 */
export const requireSameOrigin: RequestHandler = (req, _res, next) => {
  if (SAFE.has(req.method) || NOT_FROM_BROWSERS.test(req.path)) {
    next();
    return;
  }
  const origin = req.get('origin');
  const expected = `${req.protocol}://${req.get('host') ?? ''}`;
  if (origin !== undefined ? origin === expected : req.get('x-requested-with') === 'kontor') {
    next();
    return;
  }
  next(fail('cross_origin'));
};
