// A real OpenID Provider (panva oidc-provider) configured like FranceConnect's core-fcp-low,
// for the Go interop tests (interop_test.go). Environment:
//   PORT, PORT_V1  listen ports on 127.0.0.1 (0 or unset = pick a free one)
//   KEYS / KEYS_FILE  JWKS JSON with private EC P-256 and RSA keys (with kid); generated if unset
//   CLIENTS        JSON array of {client_id, client_secret, alg: ES256|RS256|HS256, version: v1|v2,
//                  redirect_uris, post_logout_redirect_uris}; version defaults to v1 for HS256
//                  enc_key: a public encryption JWK (kid, alg RSA-OAEP|RSA-OAEP-256|ECDH-ES) makes the
//                  client FranceConnect+-shaped: ID token and userinfo signed, then encrypted for it
//                  (JWE, enc A256GCM), as core-fcp-high does
//   FORCE_ACR      acr put in the tokens whatever was requested (e.g. eidas1 when eidas2 was asked);
//                  a client's own "force_acr" in CLIENTS does the same for that client only
//   PROFILE=proconnect  the v2 instance is shaped like ProConnect (core-fca-low): its acr values
//                  requested through the claims parameter, essential or not, agent claims, refresh
//                  tokens (access token 1 h, refresh token 2 h), PKCE required (S256), siret_hint and
//                  idp_hint accepted, HS256 clients on v2, and userinfo as JSON for the clients whose
//                  "userinfo" is "json" (signed with the client's alg otherwise). The agent's login_hint
//                  (an e-mail, as ProConnect's test identity provider reads its aliases) chooses the
//                  agent's identity provider: "+mfa" vouches for eidas1-mfa (amr pwd otp), "+nouveau"
//                  for eidas1-nouveau (a level announced after the client's release), "+face" adds amr
//                  face, "+nomail" leaves ProConnect no e-mail code to raise the level, "+old" gives an
//                  authentication an hour old. A requested "-mfa" level the identity provider does not
//                  vouch for is reached with ProConnect's e-mail code (amr mail); an essential level it
//                  cannot reach stops on the Y020032 page, without a callback. A client's
//                  "refresh_other_sub" makes its refreshed ID tokens name another user.
//   POST /__control/keys on the v2 port, with a JWKS: the v2 instance signs with those keys from
//                  then on, its grants, sessions and refresh tokens kept (a key rotation without a
//                  restart)
//   EXIT_ON_STDIN_EOF=1  exit when stdin closes (the Go test's death ends the provider)
// Prints "LISTENING_V1 <port>" then "LISTENING <port>" on stdout once both instances accept.
// v2: issuer http://127.0.0.1:PORT/api/v2, FC v2 route names, signed (JWT) userinfo.
// v1: issuer http://127.0.0.1:PORT_V1 (no path), /api/v1/{authorize,token,userinfo,logout},
//     HS256 ID tokens keyed with the client secret, plain JSON userinfo.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const env = process.env;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function genKeys() {
  const jwk = (kid, alg, pair) => ({ ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });
  return { keys: [
    jwk('es256-dev', 'ES256', crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })),
    jwk('rs256-dev', 'RS256', crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })),
  ] };
}
let jwks = env.KEYS ? JSON.parse(env.KEYS) : env.KEYS_FILE ? JSON.parse(fs.readFileSync(env.KEYS_FILE, 'utf8')) : genKeys();
const clientList = JSON.parse(env.CLIENTS || '[]');
const forcedAcr = Object.fromEntries(clientList.filter((c) => c.force_acr).map((c) => [c.client_id, c.force_acr]));
const otherSubOnRefresh = new Set(clientList.filter((c) => c.refresh_other_sub).map((c) => c.client_id));
const proConnect = env.PROFILE === 'proconnect';
const clients = clientList.map((c) => ({
  version: c.version || (c.alg === 'HS256' && !proConnect ? 'v1' : 'v2'),
  client_id: c.client_id,
  client_secret: c.client_secret,
  redirect_uris: c.redirect_uris,
  post_logout_redirect_uris: c.post_logout_redirect_uris || [],
  grant_types: proConnect ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_post',
  id_token_signed_response_alg: c.alg,
  require_auth_time: true, // FC's ID tokens carry auth_time
  // FC v2 signs userinfo with the ID token alg; v1 answers plain JSON.
  // ProConnect signs it only when the registration names an alg (JSON otherwise).
  ...((proConnect ? c.userinfo !== 'json' : c.alg !== 'HS256' && c.version !== 'v1') ? { userinfo_signed_response_alg: c.alg } : {}),
  // FranceConnect+: encrypted for the client's key (the Go side keeps the private part).
  ...(c.enc_key ? {
    jwks: { keys: [c.enc_key] },
    id_token_encrypted_response_alg: c.enc_key.alg, id_token_encrypted_response_enc: 'A256GCM',
    userinfo_encrypted_response_alg: c.enc_key.alg, userinfo_encrypted_response_enc: 'A256GCM',
  } : {}),
}));

// Demo user "test" of FC's demo identity provider (public test data).
const ANGELA = {
  given_name: 'Angela Claire Louise', given_name_array: ['Angela', 'Claire', 'Louise'],
  family_name: 'DUBOIS', gender: 'female', birthdate: '1962-08-24', idp_birthdate: '1962-08-24',
  birthplace: '75107', birthcountry: '99100', email: 'wossewodda-3728@yopmail.com', idp_id: 'fia1v2', // idp_id value made up for the tests
};
const pivot = ['given_name', 'given_name_array', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry'];
const claimsV2 = { // FC v2 scope -> claims table
  openid: ['sub'], amr: ['amr'], profile: ['given_name', 'given_name_array', 'family_name', 'birthdate', 'gender', 'preferred_username'],
  birth: ['birthplace', 'birthcountry'], identite_pivot: pivot, given_name: ['given_name', 'given_name_array'],
  family_name: ['family_name'], gender: ['gender'], birthdate: ['birthdate'], birthplace: ['birthplace'],
  birthcountry: ['birthcountry'], email: ['email'], preferred_username: ['preferred_username'],
  idp_birthdate: ['idp_birthdate'], idp_id: ['idp_id'],
};
const claimsV1 = { // v1 had no given_name_array/idp_*, and identite_pivot carried preferred_username
  openid: ['sub'], profile: ['given_name', 'family_name', 'birthdate', 'gender', 'preferred_username'],
  birth: ['birthplace', 'birthcountry'], identite_pivot: [...pivot.filter((c) => c !== 'given_name_array'), 'preferred_username'],
  given_name: ['given_name'], family_name: ['family_name'], gender: ['gender'], birthdate: ['birthdate'],
  birthplace: ['birthplace'], birthcountry: ['birthcountry'], email: ['email'], preferred_username: ['preferred_username'],
};
// A ProConnect agent (made-up person, real public SIRET of the DINUM).
const AGENT = {
  given_name: 'Jean', usual_name: 'MARTIN', email: 'jean.martin@numerique.gouv.fr', uid: 'jmartin',
  siret: '13002526500013', siren: '130025265', idp_id: 'proconnect-identite', organization_label: 'DINUM',
  belonging_population: 'agent', phone: '01 23 45 67 89',
};
const claimsPC = Object.fromEntries(['given_name', 'usual_name', 'email', 'uid', 'siret', 'siren', 'idp_id',
  'phone', 'organizational_unit', 'belonging_population', 'chorusdt', 'custom'].map((c) => [c, [c]]));
claimsPC.openid = ['sub', 'organization_label'];
claimsPC.amr = ['amr']; // supported, so that the claims parameter can ask for it in the ID token
const LEVELS = proConnect
  ? ['eidas0', 'eidas0-mfa', 'eidas1', 'eidas1-mfa', 'eidas2', 'eidas3', 'https://proconnect.gouv.fr/assurance/certification-dirigeant', 'eidas1-nouveau']
  : ['eidas1', 'eidas2', 'eidas3'];
// FC keeps the lowest known requested level; FORCE_ACR overrides (misbehaving provider).
function chooseAcr(clientId, requested) {
  return forcedAcr[clientId] || env.FORCE_ACR || LEVELS.find((l) => String(requested || '').split(' ').includes(l)) || 'eidas1';
}

// ProConnect's login of the agent the login_hint describes: its identity provider's level and
// amr, raised with ProConnect's e-mail code to a requested "-mfa" level; null for the Y020032
// dead end (an essential level it cannot reach).
function proConnectLogin(params) {
  const hint = String(params.login_hint || '');
  const idpLevel = hint.includes('+mfa') ? 'eidas1-mfa' : hint.includes('+nouveau') ? 'eidas1-nouveau' : 'eidas1';
  const amr = hint.includes('+mfa') ? ['pwd', 'otp'] : ['pwd'];
  if (hint.includes('+face')) amr.push('face');
  let req = {};
  try { req = JSON.parse(params.claims || '{}').id_token?.acr || {}; } catch { req = {}; }
  const values = req.values || [];
  let acr = idpLevel;
  if (forcedAcr[params.client_id] || env.FORCE_ACR) {
    acr = forcedAcr[params.client_id] || env.FORCE_ACR;
  } else if (values.length > 0 && !values.includes(idpLevel)) {
    if (values.includes(`${idpLevel}-mfa`) && !hint.includes('+nomail')) {
      acr = `${idpLevel}-mfa`;
      amr.push('mail');
    } else if (req.essential) {
      return null;
    }
  }
  return { acr, amr, ...(hint.includes('+old') ? { ts: Math.floor(Date.now() / 1000) - 3600 } : {}) };
}

function makeProvider(version, issuer, prefix) {
  const routes = version === 'v2'
    ? { authorization: '/authorize', token: '/token', userinfo: '/userinfo', end_session: '/session/end', jwks: '/jwks', revocation: '/token/revocation' }
    : { authorization: '/api/v1/authorize', token: '/api/v1/token', userinfo: '/api/v1/userinfo', end_session: '/api/v1/logout', jwks: '/api/v1/jwks', revocation: '/api/v1/token/revocation' };
  const provider = new Provider(issuer, {
    clients: clients.filter((c) => c.version === version).map(({ version: _, ...m }) => m),
    jwks,
    routes,
    acrValues: LEVELS,
    claims: proConnect ? claimsPC : version === 'v2' ? claimsV2 : claimsV1,
    extraParams: proConnect ? ['siret_hint', 'idp_hint'] : [],
    issueRefreshToken: async (ctx, client) => proConnect && client.grantTypeAllowed('refresh_token'),
    scopes: ['openid'],
    responseTypes: ['code'],
    subjectTypes: ['pairwise'],
    // FC-style sub: 64 hex + "v1"; fixed salt so a restart (key rotation) keeps it.
    pairwiseIdentifier: (ctx, accountId, client) => `${crypto.createHash('sha256').update(`${client.sectorIdentifier}/${accountId}/interop`).digest('hex')}v1`,
    clientAuthMethods: ['client_secret_post', 'private_key_jwt'],
    clientDefaults: { token_endpoint_auth_method: 'client_secret_post', grant_types: ['authorization_code'], response_types: ['code'] },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256', 'HS256'], userinfoSigningAlgValues: ['ES256', 'RS256', 'HS256'],
      // FranceConnect+ (core-fcp-high): these key management algorithms, A256GCM only.
      idTokenEncryptionAlgValues: ['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES'], idTokenEncryptionEncValues: ['A256GCM'],
      userinfoEncryptionAlgValues: ['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES'], userinfoEncryptionEncValues: ['A256GCM'],
    },
    features: {
      devInteractions: { enabled: false }, jwtUserinfo: { enabled: true }, claimsParameter: { enabled: true },
      encryption: { enabled: true },
      revocation: { enabled: true }, pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => { ctx.type = 'html'; ctx.body = `<!DOCTYPE html><html><body>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Se déconnecter</button></body></html>`; },
      },
    },
    pkce: { required: () => proConnect || env.PKCE_REQUIRED === '1' },
    acceptQueryParamAccessTokens: true,
    ttl: proConnect
      ? { AuthorizationCode: 60, AccessToken: 3600, IdToken: 3600, RefreshToken: 7200, Grant: 7200, Interaction: 600, Session: 7200 }
      : { AuthorizationCode: 30, AccessToken: 60, IdToken: 60, Grant: 600, Interaction: 600, Session: 600 },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')], names: { session: `_${version}_session`, interaction: `_${version}_interaction`, resume: `_${version}_resume` } },
    interactions: { url: (ctx, interaction) => `${prefix}/interaction/${interaction.uid}` },
    findAccount: (ctx, id) => ({
      accountId: id,
      claims: () => {
        // A misbehaving provider: the refreshed ID token names another user.
        const other = ctx?.oidc?.params?.grant_type === 'refresh_token' && otherSubOnRefresh.has(ctx.oidc.client?.clientId);
        return { sub: other ? `${id}-other` : id, ...(proConnect ? AGENT : version === 'v2' ? ANGELA : { ...ANGELA, given_name_array: undefined, idp_birthdate: undefined, idp_id: undefined }) };
      },
    }),
    renderError: async (ctx, out) => { ctx.type = 'html'; ctx.body = `<!DOCTYPE html><html><body><h1>${esc(out.error)}</h1><p>${esc(out.error_description)}</p></body></html>`; },
  });
  provider.on('server_error', (ctx, err) => console.error(`[${version}] server_error`, err));
  for (const ev of ['authorization.error', 'grant.error', 'userinfo.error', 'end_session.error']) {
    provider.on(ev, (ctx, err) => console.error(`[${version}] ${ev}: ${err.error || err.name}: ${err.error_description || err.message}`));
  }
  return provider;
}

// Non-interactive login (acr per chooseAcr) and consent (grant everything asked).
async function interact(provider, req, res) {
  const { uid, prompt, params, session, grantId } = await provider.interactionDetails(req, res);
  let result;
  if (prompt.name === 'login' && proConnect) {
    const login = proConnectLogin(params);
    if (!login) { // ProConnect's dead end: the agent stays on its page, the service gets no callback
      res.statusCode = 400;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end('<!DOCTYPE html><html><body data-error-code="Y020032"><h1>access_denied</h1><p>none of the requested ACRs could be obtained (Y020032)</p></body></html>');
      return;
    }
    result = { login: { accountId: 'jean-martin', ...login } };
  } else if (prompt.name === 'login') {
    result = { login: { accountId: 'angela-dubois', acr: chooseAcr(params.client_id, params.acr_values), amr: ['pwd'] } };
  } else {
    const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes || {})) grant.addResourceScope(indicator, scopes.join(' '));
    result = { consent: { grantId: await grant.save() } };
  }
  console.error(`[interaction ${uid}] ${prompt.name} done`);
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

// handler serves the provider current() returns (the v2 one changes on a key rotation).
function handler(current, prefix) {
  return (req, res) => {
    const provider = current();
    const callback = provider.callback();
    const path = req.url.split('?')[0];
    if (path.startsWith(`${prefix}/interaction/`)) {
      interact(provider, req, res).catch((err) => {
        console.error('interaction failed', err);
        res.statusCode = 500;
        res.end(String(err));
      });
    } else if (!prefix) {
      callback(req, res);
    } else if (path === prefix || path.startsWith(`${prefix}/`)) {
      req.originalUrl = req.url; // lets oidc-provider compute its mount path
      req.url = req.url.slice(prefix.length) || '/';
      callback(req, res);
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  };
}

const listen = (server, port) => new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(port || 0), '127.0.0.1', () => resolve(server.address().port));
});

(async () => {
  const v1 = http.createServer();
  const v2 = http.createServer();
  const portV1 = await listen(v1, env.PORT_V1);
  const portV2 = await listen(v2, env.PORT);
  // Issuers embed the ports, so the providers are built once the ports are known.
  const providerV1 = makeProvider('v1', `http://127.0.0.1:${portV1}`, '');
  v1.on('request', handler(() => providerV1, ''));
  let providerV2 = makeProvider('v2', `http://127.0.0.1:${portV2}/api/v2`, '/api/v2');
  const serveV2 = handler(() => providerV2, '/api/v2');
  v2.on('request', (req, res) => {
    if (req.method !== 'POST' || req.url !== '/__control/keys') {
      serveV2(req, res);
      return;
    }
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => { // a key rotation: a new instance, the same storage (the memory adapter is the module's)
      jwks = JSON.parse(body);
      providerV2 = makeProvider('v2', `http://127.0.0.1:${portV2}/api/v2`, '/api/v2');
      console.error('[v2] signing keys rotated');
      res.statusCode = 204;
      res.end();
    });
  });
  const stop = () => {
    for (const s of [v1, v2]) { s.close(); s.closeAllConnections(); }
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (env.EXIT_ON_STDIN_EOF === '1') { // the Go test holds our stdin: its death ends us too
    process.stdin.on('data', () => {});
    process.stdin.on('end', stop);
  }
  console.log(`LISTENING_V1 ${portV1}`);
  console.log(`LISTENING ${portV2}`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
