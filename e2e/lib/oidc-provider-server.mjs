// A bank's OpenID Provider for the browser e2e (oidc-provider, the backend's test dependency), run as
// its own process:  node oidc-provider-server.mjs <port>
// Over HTTPS with the run's throw-away certificate (OIDC_TLS_CERT / OIDC_TLS_KEY; the Kontor server
// trusts it through NODE_EXTRA_CA_CERTS), a throw-away RSA signing key made at start, the clients in
// OIDC_CLIENTS and the accounts in OIDC_ACCOUNTS ({ login: { password, sub, claims } }). Unlike the
// backend suite's provider, the interaction is a real sign-in form the browser fills in; consent is
// granted without a page (a bank's own client).
import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// oidc-provider is the backend workspace's (dev) dependency; resolved from there, wherever npm put it.
const { default: Provider } = await import(pathToFileURL(createRequire(path.join(repoRoot, 'backend/package.json')).resolve('oidc-provider')).href);

const port = Number(process.argv[2]);
const issuer = `https://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS ?? '[]');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS ?? '{}');
const bySub = new Map(Object.values(accounts).map((a) => [a.sub, a]));
const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [{ ...key.export({ format: 'jwk' }), kid: 'e2e-key', alg: 'RS256', use: 'sig' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  // Back-channel logout: signing out at /session/end posts a logout token to each client's backchannel_logout_uri.
  features: { devInteractions: { enabled: false }, backchannelLogout: { enabled: true } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (_ctx, sub) => (bySub.has(sub) ? { accountId: sub, claims: async () => ({ sub, ...bySub.get(sub).claims }) } : undefined),
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const form = (uid, message) => `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Bank-Anmeldung</title></head><body>
<h1>Anmeldung bei Ihrer Bank</h1>${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Benutzername <input name="login" autocomplete="username"></label>
<label>Passwort <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Anmelden</button></form></body></html>`;

function passwordMatches(given, expected) {
  const a = Buffer.from(String(given ?? ''));
  const b = Buffer.from(String(expected ?? ''));
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([^/]+)(\/login)?$/.exec(ctx.path);
  if (!m) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.prompt.name === 'login') {
    if (ctx.method === 'POST' && m[2]) {
      const body = await readForm(ctx.req);
      const account = accounts[body.get('login') ?? ''];
      if (account && passwordMatches(body.get('password'), account.password)) {
        await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
        ctx.respond = false;
        return;
      }
      ctx.status = 200;
      ctx.type = 'html';
      ctx.body = form(details.uid, 'Benutzername oder Passwort falsch.');
      return;
    }
    ctx.type = 'html';
    ctx.body = form(details.uid);
    return;
  }
  // Consent for the bank's own client: granted as asked.
  const { prompt, params, session } = details;
  const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  ctx.respond = false;
});

https.createServer({ cert: fs.readFileSync(process.env.OIDC_TLS_CERT), key: fs.readFileSync(process.env.OIDC_TLS_KEY) }, provider.callback())
  .listen(port, '127.0.0.1', () => process.stdout.write(`READY ${issuer}\n`));
