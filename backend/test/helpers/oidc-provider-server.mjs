// A real OpenID Provider (oidc-provider) for the test suites, run as its own process:
//   node oidc-provider-server.mjs <port>   (clients as JSON in OIDC_CLIENTS)
// Throw-away RSA key and cookie keys, made at start. Interactions sign in whichever account the
// test named last (POST /test/next), so no login form is needed; POST /test/mode makes the token
// endpoint hand out a tampered ID token (wrong audience or nonce, expired, foreign signature),
// re-signed with the provider's own key, to prove the relying party's checks. Back-channel logout
// is on: ending the session at /session/end posts a logout token to each client's
// backchannel_logout_uri; POST /test/sign signs any claims (logout tokens a test shapes by hand).
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS ?? '[]');
const newKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const key = newKey();
const foreignKey = newKey();
const jwk = { ...key.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };

const accounts = new Map();
let nextAccount;
let mode = 'normal';

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false }, backchannelLogout: { enabled: true } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (_ctx, sub) => (accounts.has(sub) ? { accountId: sub, claims: async () => ({ sub, ...accounts.get(sub) }) } : undefined),
});
provider.proxy = false;
provider.on('backchannel.error', (_ctx, err) => process.stderr.write(`backchannel logout failed: ${err.message}\n`));

const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
function tamper(idToken) {
  const [h, p] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'wrong_aud') payload.aud = 'another-client';
  if (mode === 'wrong_nonce') payload.nonce = 'not-the-nonce';
  if (mode === 'expired') Object.assign(payload, { iat: now - 3600, exp: now - 1800 });
  if (mode === 'wrong_issuer') payload.iss = 'http://127.0.0.1:1/';
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(mode === 'foreign_signature' ? foreignKey : key).toString('base64url');
  return `${input}.${signature}`;
}

async function readJson(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return raw ? JSON.parse(raw) : {};
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/test/') && ctx.method === 'POST') {
    const body = await readJson(ctx.req);
    if (ctx.path === '/test/account') accounts.set(body.sub, body.claims);
    if (ctx.path === '/test/next') nextAccount = body.sub;
    if (ctx.path === '/test/mode') mode = body.mode;
    if (ctx.path === '/test/sign') {
      const header = { alg: 'RS256', kid: 'test-key', typ: 'logout+jwt', ...body.header };
      const input = `${b64(header)}.${b64(body.claims)}`;
      const signature = createSign('RSA-SHA256').update(input).sign(body.foreign ? foreignKey : key).toString('base64url');
      ctx.status = 200;
      ctx.body = { token: `${input}.${signature}` };
      return;
    }
    ctx.status = 204;
    return;
  }
  if (ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { prompt, params } = details;
    let result;
    if (prompt.name === 'login') {
      result = nextAccount ? { login: { accountId: nextAccount } } : { error: 'access_denied', error_description: 'no account' };
    } else {
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
      if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
      result = { consent: { grantId: await grant.save() } };
    }
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.respond = false;
    return;
  }
  await next();
  if (ctx.path === '/token' && mode !== 'normal' && ctx.body && typeof ctx.body === 'object' && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: tamper(ctx.body.id_token) };
  }
});

provider.listen(port, '127.0.0.1', () => process.stdout.write(`READY ${issuer}\n`));
