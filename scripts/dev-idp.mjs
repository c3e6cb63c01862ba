#!/usr/bin/env node
/**
 * dev-idp: a local OpenID Provider shaped like Microsoft Entra ID, for development and end-to-end
 * tests. It is built on `oidc-provider` and serves two demo tenants from ONE node:http server bound
 * to 127.0.0.1. Nothing here is fit for production: state lives in memory, keys are generated at
 * start-up, every demo user has the password "demo".
 *
 * Per tenant (TID = the tenant's GUID, ORIGIN = http://127.0.0.1:PORT):
 *
 *   issuer          ORIGIN/TID/v2.0                                  (no trailing slash)
 *   discovery       ORIGIN/TID/v2.0/.well-known/openid-configuration
 *   authorize       ORIGIN/TID/oauth2/v2.0/authorize                 (GET; resume: .../authorize/{uid})
 *   token           ORIGIN/TID/oauth2/v2.0/token                     (client_secret_post)
 *   jwks            ORIGIN/TID/discovery/v2.0/keys
 *   userinfo        ORIGIN/TID/oidc/userinfo
 *   logout          ORIGIN/TID/oauth2/v2.0/logout
 *   login page      ORIGIN/TID/interaction/{uid}                     (GET, our own HTML form)
 *   login submit    ORIGIN/TID/interaction/{uid}/login               (POST username, password)
 *
 * Every tenant's login page accepts every demo user (the ID token's `tid` names the user's own
 * tenant), so a relying party sees users of tenants it does not allow and must refuse them
 * itself: pandgate's ALLOWED_TENANT_IDS does that, and its refusal can be seen locally by signing
 * in as chris@fabrikam.example while only Contoso is allowed.
 *
 * Entra-like behaviour on the authorize endpoint: `prompt=select_account` is treated as
 * `prompt=login` (there is no account picker), and `offline_access` yields a refresh token without
 * the caller having to add `prompt=consent` (oidc-provider, following OIDC Core, would otherwise
 * drop offline_access). Consent is always granted automatically; no consent page exists.
 *
 * Usage as a library (Node tests):
 *
 *   import { startDevIdp, loginHeadless } from "../scripts/dev-idp.mjs";
 *   const idp = await startDevIdp({ clients: [{ client_id, client_secret, redirect_uris }] });
 *   ...
 *   await idp.close();
 *
 * Usage from the command line (keeps running until SIGINT/SIGTERM):
 *
 *   node scripts/dev-idp.mjs [--port 9090] [--client-id X --client-secret Y --redirect-uri Z ...]
 *
 * Without --client-id the CLI registers the client `pandgate-dev` with the secret
 * `pandgate-dev-secret` (or $DEV_IDP_CLIENT_SECRET) and the redirect URI
 * http://localhost:8787/oauth/callback. The secret is never printed.
 */

import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";

/**
 * @typedef {object} DevIdpClient
 * @property {string} client_id
 * @property {string} client_secret
 * @property {string[]} redirect_uris
 */

/**
 * @typedef {object} DevIdpOptions
 * @property {number} [port] TCP port; 0 (the default) picks a free one.
 * @property {"127.0.0.1"} [host] Only loopback is accepted.
 * @property {DevIdpClient[]} clients Registered, identically, in every tenant.
 */

/**
 * @typedef {object} DevIdpTenant
 * @property {string} id Tenant id (GUID), the `tid` claim.
 * @property {string} name
 * @property {string} issuer
 */

/**
 * @typedef {object} DevIdpUser
 * @property {string} username Also `preferred_username`; sign in with this.
 * @property {string} password
 * @property {string} name
 * @property {string} tenantId
 * @property {string} oid
 * @property {string[]} roles
 * @property {string} email
 * @property {string} sub The (stable) `sub` claim issued for this user.
 */

/**
 * @typedef {object} DevIdp
 * @property {string} origin e.g. http://127.0.0.1:PORT
 * @property {DevIdpTenant[]} tenants
 * @property {DevIdpUser[]} users
 * @property {() => Promise<void>} close Stops the server and drops every open connection.
 */

const DEMO_PASSWORD = "demo";

const TENANTS = [
  { id: "3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11", name: "Contoso Vastgoed" },
  { id: "7a9e4b20-5c3f-4d8a-b1e6-2f0d9c7a3e55", name: "Fabrikam Wonen" },
];

const USERS = [
  {
    username: "anna@contoso.example",
    name: "Anna de Vries",
    tenantId: TENANTS[0].id,
    oid: "5b0e8f2a-3c71-4d9e-8a16-9f4c2b7d1e03",
    roles: ["Admin"],
  },
  {
    username: "bram@contoso.example",
    name: "Bram Jansen",
    tenantId: TENANTS[0].id,
    oid: "c8d24e67-1f9a-4b35-9e0c-6a7b3d5f8a21",
    roles: [],
  },
  {
    username: "chris@fabrikam.example",
    name: "Chris Bakker",
    tenantId: TENANTS[1].id,
    oid: "e41a9c3d-7b68-4f02-a5d9-1c8e6f2b0d74",
    roles: [],
  },
];

const SCOPES = ["openid", "profile", "email", "offline_access"];
const MAX_FORM_BYTES = 16 * 1024;

/**
 * The `sub` claim: opaque and stable, derived from tenant and object id (Entra's is opaque too,
 * though pairwise per application; here it is the same for every client).
 * @param {string} tenantId
 * @param {string} oid
 */
function subjectFor(tenantId, oid) {
  return createHash("sha256").update(`dev-idp-sub:${tenantId}:${oid}`).digest("base64url");
}

/** @returns {DevIdpUser[]} fresh copies, so callers cannot alter the server's users */
function demoUsers() {
  return USERS.map((user) => ({
    ...user,
    roles: [...user.roles],
    email: user.username,
    password: DEMO_PASSWORD,
    sub: subjectFor(user.tenantId, user.oid),
    disabled: false,
  }));
}

/**
 * Escapes text for HTML element content and quoted attribute values.
 * @param {unknown} value
 */
function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * Constant-time string comparison.
 * @param {string} a
 * @param {string} b
 */
function sameString(a, b) {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * A small in-memory storage adapter for oidc-provider, one per tenant (and per server), so nothing
 * is shared between tenants or between IdP instances in one process, and everything goes away
 * with the server. Expired records are dropped when read and swept when the store grows.
 */
function createTenantStore() {
  /** @type {Map<string, { payload: Record<string, unknown>, expiresAt: number }>} */
  const records = new Map();
  /** @type {Map<string, string>} session uid -> session id */
  const sessionsByUid = new Map();
  /** @type {Map<string, Set<string>>} grant id -> record keys issued under it */
  const keysByGrant = new Map();

  /** @param {string} key */
  const read = (key) => {
    const record = records.get(key);
    if (record && record.expiresAt <= Date.now()) {
      records.delete(key);
      return undefined;
    }
    return record;
  };

  const sweep = () => {
    const now = Date.now();
    for (const [key, record] of records) if (record.expiresAt <= now) records.delete(key);
  };

  /** @param {string} model */
  return (model) => {
    /** @param {string} id */
    const keyOf = (id) => `${model}:${id}`;
    return {
      /**
       * @param {string} id
       * @param {Record<string, unknown>} payload
       * @param {number} [expiresIn] seconds
       */
      async upsert(id, payload, expiresIn) {
        if (records.size > 5000) sweep();
        const key = keyOf(id);
        const expiresAt = typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
        records.set(key, { payload: structuredClone(payload), expiresAt });
        if (model === "Session" && typeof payload.uid === "string") sessionsByUid.set(payload.uid, id);
        if (typeof payload.grantId === "string") {
          const keys = keysByGrant.get(payload.grantId) ?? new Set();
          keys.add(key);
          keysByGrant.set(payload.grantId, keys);
        }
      },
      /** @param {string} id */
      async find(id) {
        const record = read(keyOf(id));
        return record ? structuredClone(record.payload) : undefined;
      },
      /** @param {string} uid */
      async findByUid(uid) {
        const id = sessionsByUid.get(uid);
        if (id === undefined) return undefined;
        const record = read(keyOf(id));
        return record ? structuredClone(record.payload) : undefined;
      },
      async findByUserCode() {
        return undefined;
      },
      /** @param {string} id */
      async consume(id) {
        const record = read(keyOf(id));
        if (record) record.payload.consumed = Math.floor(Date.now() / 1000);
      },
      /** @param {string} id */
      async destroy(id) {
        const key = keyOf(id);
        const record = records.get(key);
        records.delete(key);
        if (model === "Session" && typeof record?.payload.uid === "string") sessionsByUid.delete(record.payload.uid);
      },
      /** @param {string} grantId */
      async revokeByGrantId(grantId) {
        for (const key of keysByGrant.get(grantId) ?? []) records.delete(key);
        keysByGrant.delete(grantId);
      },
    };
  };
}

/**
 * A fresh RS256 signing key as a private JWK for oidc-provider's `jwks`.
 * @param {string} tenantId
 */
async function signingJwk(tenantId) {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `dev-${tenantId.slice(0, 8)}-${randomUUID().slice(0, 8)}`, alg: "RS256", use: "sig" };
}

/**
 * The oidc-provider instance of one tenant.
 * @param {{ id: string, name: string }} tenant
 * @param {string} issuer
 * @param {DevIdpClient[]} clients
 * @param {DevIdpUser[]} users every demo user, of any tenant (their `tid` claim names their own)
 */
async function createTenantProvider(tenant, issuer, clients, users) {
  const bySub = new Map(users.map((user) => [user.sub, user]));
  const cookieSuffix = tenant.id.slice(0, 8);

  const provider = new Provider(issuer, {
    adapter: createTenantStore(),
    clients: clients.map((client) => ({
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: [...client.redirect_uris],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    })),
    clientAuthMethods: ["client_secret_post", "client_secret_basic"],
    jwks: { keys: [await signingJwk(tenant.id)] },
    responseTypes: ["code"],
    scopes: SCOPES,
    claims: {
      openid: ["sub", "oid", "tid", "ver", "roles"],
      profile: ["name", "preferred_username"],
      email: ["email"],
    },
    // Put the claims of every granted scope into the id_token, as Entra does, even though an
    // access token is issued alongside it.
    conformIdTokenClaims: false,
    // All tenants share one host, so each tenant gets its own cookie names.
    cookies: {
      names: {
        session: `_session_${cookieSuffix}`,
        interaction: `_interaction_${cookieSuffix}`,
        resume: `_interaction_resume_${cookieSuffix}`,
      },
      keys: [randomBytes(32).toString("base64url")],
    },
    // Provider mounted at /TID/v2.0; these climb one level to give Entra's paths.
    routes: {
      authorization: "/../oauth2/v2.0/authorize",
      token: "/../oauth2/v2.0/token",
      jwks: "/../discovery/v2.0/keys",
      userinfo: "/../oidc/userinfo",
      end_session: "/../oauth2/v2.0/logout",
    },
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    // Lifetimes (seconds), roughly Entra's: 1 h tokens, 10 min codes, 1 day refresh tokens.
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 600,
      IdToken: 3600,
      RefreshToken: 86400,
      Grant: 86400,
      Session: 86400,
      Interaction: 3600,
    },
    interactions: {
      url: (/** @type {unknown} */ _ctx, /** @type {{ uid: string }} */ interaction) => `/${tenant.id}/interaction/${interaction.uid}`,
    },
    findAccount: (/** @type {unknown} */ _ctx, /** @type {string} */ sub) => {
      const user = bySub.get(sub);
      // A disabled account is unknown here: its refresh tokens stop working, as in Entra.
      if (!user || user.disabled) return undefined;
      return {
        accountId: user.sub,
        claims: () => ({
          sub: user.sub,
          oid: user.oid,
          tid: user.tenantId,
          ver: "2.0",
          roles: [...user.roles],
          name: user.name,
          preferred_username: user.username,
          email: user.email,
        }),
      };
    },
    renderError: (/** @type {{ type: string, body: string }} */ ctx, /** @type {Record<string, unknown>} */ out) => {
      ctx.type = "html";
      const rows = Object.entries(out)
        .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`)
        .join("");
      ctx.body = page("Sign-in error", `<h1>Sign-in error</h1><dl>${rows}</dl>`);
    },
  });
  return provider;
}

/**
 * @param {string} title
 * @param {string} bodyHtml already escaped
 */
function page(title, bodyHtml) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.75rem 0 .25rem}input{width:100%;padding:.4rem;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1rem}.error{color:#b00020;font-weight:600}code{background:#f2f2f2;padding:0 .2rem}</style>
</head>
<body>
${bodyHtml}
</body>
</html>
`;
}

/**
 * @param {object} args
 * @param {{ id: string, name: string }} args.tenant
 * @param {DevIdpUser[]} args.users every demo user
 * @param {string} args.uid
 * @param {string} args.clientId
 * @param {string} [args.username] pre-filled
 * @param {string} [args.error]
 */
function loginPage({ tenant, users, uid, clientId, username = "", error }) {
  const action = `/${encodeURIComponent(tenant.id)}/interaction/${encodeURIComponent(uid)}/login`;
  const userList = users
    .map((user) => {
      const home = TENANTS.find((t) => t.id === user.tenantId)?.name ?? user.tenantId;
      const roles = user.roles.length ? `, roles: ${user.roles.join(", ")}` : "";
      return `<li><code>${escapeHtml(user.username)}</code> ${escapeHtml(user.name)} (${escapeHtml(home)}${escapeHtml(roles)})</li>`;
    })
    .join("");
  return page(
    `Sign in to ${tenant.name}`,
    `<h1>Sign in to ${escapeHtml(tenant.name)}</h1>
<p>Development identity provider. Application: <code>${escapeHtml(clientId)}</code></p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<form id="login-form" method="post" action="${escapeHtml(action)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required autofocus value="${escapeHtml(username)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<p>Demo users, all with the password <code>${escapeHtml(DEMO_PASSWORD)}</code>. Any of them can sign in here; the application decides which organisations it lets in:</p>
<ul>${userList}</ul>`,
  );
}

/**
 * @param {import("node:http").ServerResponse} res
 * @param {number} status
 * @param {string} html
 */
function sendHtml(res, status, html) {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    // No form-action: browsers apply it to the redirects that follow the POST, which leave for the client.
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
  });
  res.end(html);
}

/**
 * @param {import("node:http").ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function sendJson(res, status, body) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body, null, 2));
}

/**
 * Reads an application/x-www-form-urlencoded body (bounded).
 * @param {import("node:http").IncomingMessage} req
 * @returns {Promise<URLSearchParams>}
 */
async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new Error("form body too large");
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/**
 * Records consent for what the pending interaction asks and returns the grant id. Existing grants
 * are extended; otherwise a new one is made for the account.
 * @param {InstanceType<typeof Provider>} provider
 * @param {any} details result of provider.interactionDetails
 * @param {string} accountId
 */
async function grantEverything(provider, details, accountId) {
  const clientId = String(details.params.client_id);
  let grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) {
    grant = new provider.Grant({ accountId, clientId });
  }
  const requested = typeof details.params.scope === "string" ? details.params.scope.split(" ") : [];
  /** @type {string[]} */
  const missing = details.prompt.details?.missingOIDCScope ?? [];
  const scopes = [...new Set([...requested, ...missing])].filter((scope) => SCOPES.includes(scope));
  if (scopes.length) grant.addOIDCScope(scopes.join(" "));
  /** @type {string[] | undefined} */
  const claims = details.prompt.details?.missingOIDCClaims;
  if (claims?.length) grant.addOIDCClaims(claims);
  return grant.save();
}

/**
 * GET /TID/interaction/UID and POST /TID/interaction/UID/login.
 * @param {object} args
 * @param {InstanceType<typeof Provider>} args.provider
 * @param {{ id: string, name: string }} args.tenant
 * @param {DevIdpUser[]} args.users every demo user
 * @param {string} args.uid from the path
 * @param {"show" | "login"} args.action
 * @param {import("node:http").IncomingMessage} args.req
 * @param {import("node:http").ServerResponse} args.res
 */
async function handleInteraction({ provider, tenant, users, uid, action, req, res }) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    sendHtml(res, 400, page("Sign-in expired", "<h1>Sign-in expired</h1><p>Start again from the application.</p>"));
    return;
  }
  if (details.uid !== uid) {
    sendHtml(res, 400, page("Sign-in mismatch", "<h1>Sign-in mismatch</h1><p>Start again from the application.</p>"));
    return;
  }
  const prompt = details.prompt.name;
  const clientId = String(details.params.client_id);

  if (prompt === "consent") {
    // Already signed in; only consent is missing, and that is always given.
    const accountId = details.session?.accountId;
    if (!accountId) throw new Error("consent prompt without a signed-in account");
    const grantId = await grantEverything(provider, details, accountId);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (prompt !== "login") {
    await provider.interactionFinished(
      req,
      res,
      { error: "access_denied", error_description: `unsupported prompt: ${prompt}` },
      { mergeWithLastSubmission: false },
    );
    return;
  }

  if (action === "show") {
    const hint = typeof details.params.login_hint === "string" ? details.params.login_hint : "";
    sendHtml(res, 200, loginPage({ tenant, users, uid, clientId, username: hint }));
    return;
  }

  let form;
  try {
    form = await readForm(req);
  } catch {
    sendHtml(res, 413, page("Too large", "<h1>Request too large</h1>"));
    return;
  }
  const username = (form.get("username") ?? "").trim();
  const password = form.get("password") ?? "";
  const user = users.find((candidate) => candidate.username.toLowerCase() === username.toLowerCase());
  if (user?.disabled && sameString(password, user.password)) {
    sendHtml(res, 403, loginPage({ tenant, users, uid, clientId, username, error: "This account is disabled (AADSTS50057)." }));
    return;
  }
  if (!user || !sameString(password, user.password)) {
    const error = user
      ? "Wrong password. Every demo user's password is shown below."
      : "Unknown user. Sign in with one of the users listed below.";
    sendHtml(res, 401, loginPage({ tenant, users, uid, clientId, username, error }));
    return;
  }
  const grantId = await grantEverything(provider, details, user.sub);
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: user.sub, remember: false }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

/**
 * Entra-compatible touches on an authorize request's query (see the header comment).
 * @param {URLSearchParams} query modified in place
 */
function adjustAuthorizeQuery(query) {
  const prompts = new Set((query.get("prompt") ?? "").split(" ").filter(Boolean));
  if (prompts.delete("select_account")) prompts.add("login");
  const scopes = (query.get("scope") ?? "").split(" ");
  if (scopes.includes("offline_access") && !prompts.has("none")) prompts.add("consent");
  if (prompts.size) query.set("prompt", [...prompts].join(" "));
}

/**
 * Starts the IdP on 127.0.0.1.
 * @param {DevIdpOptions} options
 * @returns {Promise<DevIdp>}
 */
export async function startDevIdp(options) {
  const { port = 0, host = "127.0.0.1", clients } = options ?? {};
  if (host !== "127.0.0.1") throw new Error("dev-idp binds to 127.0.0.1 only");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${port}`);
  if (!Array.isArray(clients) || clients.length === 0) throw new Error("dev-idp needs at least one client");
  for (const client of clients) {
    if (!client.client_id || !client.client_secret || !client.redirect_uris?.length) {
      throw new Error("every client needs client_id, client_secret and redirect_uris");
    }
  }

  /** @type {Map<string, { tenant: { id: string, name: string }, users: DevIdpUser[], provider: InstanceType<typeof Provider>, handle: (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => unknown }>} */
  const mounted = new Map();
  const users = demoUsers();
  /** @param {string} username @param {boolean} disabled */
  const setDisabled = (username, disabled) => {
    const user = users.find((candidate) => candidate.username.toLowerCase() === username.toLowerCase());
    if (user) user.disabled = disabled;
    return user;
  };

  const server = createServer((req, res) => {
    dispatch(req, res).catch((error) => {
      console.error("dev-idp: request failed:", error);
      if (!res.headersSent) sendJson(res, 500, { error: "server_error" });
      else res.destroy();
    });
  });

  /**
   * @param {import("node:http").IncomingMessage} req
   * @param {import("node:http").ServerResponse} res
   */
  async function dispatch(req, res) {
    // Resolves dot segments, so the paths handed on are canonical.
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname;

    // Disable or enable a demo user while it runs, as an Entra administrator would:
    // POST /admin/users/bram@contoso.example/disable (or /enable).
    const admin = /^\/admin\/users\/([^/]+)\/(disable|enable)$/.exec(path);
    if (admin) {
      if (req.method !== "POST") {
        res.writeHead(405, { allow: "POST" }).end();
        return;
      }
      const user = setDisabled(decodeURIComponent(admin[1]), admin[2] === "disable");
      if (!user) sendJson(res, 404, { error: "not_found", error_description: "no such demo user" });
      else sendJson(res, 200, { username: user.username, disabled: user.disabled });
      return;
    }

    if (path === "/") {
      sendJson(res, 200, {
        tenants: [...mounted.values()].map(({ tenant, provider }) => ({ id: tenant.id, name: tenant.name, issuer: provider.issuer })),
      });
      return;
    }

    const match = /^\/([0-9a-f-]{36})(\/.*)?$/i.exec(path);
    const entry = match ? mounted.get(match[1].toLowerCase()) : undefined;
    if (!match || !entry) {
      sendJson(res, 404, { error: "not_found", error_description: "unknown tenant or path" });
      return;
    }
    const rest = match[2] ?? "/";

    const interaction = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(rest);
    if (interaction) {
      const action = interaction[2] ? "login" : "show";
      if ((action === "show" && req.method !== "GET") || (action === "login" && req.method !== "POST")) {
        res.writeHead(405, { allow: action === "show" ? "GET" : "POST" }).end();
        return;
      }
      await handleInteraction({ ...entry, uid: interaction[1], action, req, res });
      return;
    }

    // Hand the request to the tenant's provider, mounted at /TID/v2.0. Paths outside the mount
    // (Entra's /TID/oauth2/..., /TID/discovery/...) become "/../..." to match the routes above.
    const mount = `/${entry.tenant.id}/v2.0`;
    let inner;
    if (rest === "/v2.0" || rest.startsWith("/v2.0/")) inner = rest.slice("/v2.0".length) || "/";
    else inner = `/..${rest}`;
    if (inner === "/../oauth2/v2.0/authorize") adjustAuthorizeQuery(url.searchParams);

    const search = url.searchParams.size ? `?${url.searchParams}` : "";
    Object.assign(req, { originalUrl: `/${entry.tenant.id}${rest}${search}`, baseUrl: mount, url: `${inner}${search}` });
    await entry.handle(req, res);
  }

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve(undefined);
    });
  });

  try {
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("unexpected server address");
    const origin = `http://127.0.0.1:${address.port}`;

    /** @type {DevIdpTenant[]} */
    const tenants = [];
    for (const tenant of TENANTS) {
      const issuer = `${origin}/${tenant.id}/v2.0`;
      const provider = await createTenantProvider(tenant, issuer, clients, users);
      provider.on("server_error", (/** @type {unknown} */ _ctx, /** @type {unknown} */ error) =>
        console.error(`dev-idp (${tenant.name}): server error:`, error),
      );
      mounted.set(tenant.id, { tenant, users, provider, handle: provider.callback() });
      tenants.push({ id: tenant.id, name: tenant.name, issuer });
    }

    return {
      origin,
      tenants,
      users: demoUsers(),
      disableUser: (username) => Boolean(setDisabled(username, true)),
      enableUser: (username) => Boolean(setDisabled(username, false)),
      close: () => stopServer(server),
    };
  } catch (error) {
    await stopServer(server);
    throw error;
  }
}

/**
 * Closes the server and every connection (including idle keep-alive ones).
 * @param {import("node:http").Server} server
 * @returns {Promise<void>}
 */
function stopServer(server) {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      server.closeAllConnections();
      resolve();
      return;
    }
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/**
 * Signs a user in without a browser: follows the IdP's redirects from the authorize URL, submits
 * the login form, and returns the first redirect that leaves the IdP's origin (the client's
 * redirect_uri with `code` or `error`), without requesting it. Uses plain fetch and a per-call
 * cookie jar. Rejects when the credentials are refused (the error's `status` is 401) or when the
 * IdP answers with anything unexpected.
 * @param {string} authorizeUrl
 * @param {{ username: string, password: string }} credentials
 * @returns {Promise<string>}
 */
export async function loginHeadless(authorizeUrl, { username, password }) {
  let url = new URL(authorizeUrl);
  const idpOrigin = url.origin;
  /** @type {Map<string, { name: string, value: string, path: string }>} */
  const jar = new Map();
  /** @type {{ method: string, body?: string }} */
  let request = { method: "GET" };
  let submitted = false;

  for (let step = 0; step < 20; step += 1) {
    /** @type {Record<string, string>} */
    const headers = {};
    const cookie = cookieHeader(jar, url.pathname);
    if (cookie) headers.cookie = cookie;
    if (request.body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
    const response = await fetch(url, { method: request.method, headers, body: request.body, redirect: "manual" });
    storeCookies(jar, response.headers.getSetCookie(), url.pathname);

    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== idpOrigin) return next.href;
      url = next;
      request = { method: "GET" };
      continue;
    }

    const text = await response.text();
    const action = /<form id="login-form" method="post" action="([^"]+)"/.exec(text)?.[1];
    if (response.status === 200 && action && !submitted) {
      url = new URL(unescapeAttribute(action), url);
      request = { method: "POST", body: new URLSearchParams({ username, password }).toString() };
      submitted = true;
      continue;
    }
    const message =
      /<p class="error"[^>]*>([^<]*)<\/p>/.exec(text)?.[1] ??
      text
        .replace(/<[^>]*>/g, " ")
        .replace(/\s+/g, " ")
        .trim()
        .slice(0, 200);
    throw Object.assign(new Error(`dev-idp login failed: HTTP ${response.status} at ${url.pathname}: ${unescapeAttribute(message)}`), {
      status: response.status,
    });
  }
  throw new Error("dev-idp login: too many redirects");
}

/** @param {string} value */
function unescapeAttribute(value) {
  return value.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code))).replace(/&amp;/g, "&");
}

/**
 * RFC 6265 path-match.
 * @param {string} cookiePath
 * @param {string} requestPath
 */
function pathMatches(cookiePath, requestPath) {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

/**
 * @param {Map<string, { name: string, value: string, path: string }>} jar
 * @param {string} requestPath
 */
function cookieHeader(jar, requestPath) {
  return [...jar.values()]
    .filter((cookie) => pathMatches(cookie.path, requestPath))
    .sort((a, b) => b.path.length - a.path.length)
    .map((cookie) => `${cookie.name}=${cookie.value}`)
    .join("; ");
}

/**
 * @param {Map<string, { name: string, value: string, path: string }>} jar
 * @param {string[]} setCookies
 * @param {string} requestPath
 */
function storeCookies(jar, setCookies, requestPath) {
  for (const line of setCookies) {
    const [pair = "", ...attributes] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    // Default path: the request path up to its last "/".
    let path = requestPath.slice(0, Math.max(requestPath.lastIndexOf("/"), 1));
    let expired = value === "";
    for (const attribute of attributes) {
      const [key = "", ...parts] = attribute.split("=");
      const attrValue = parts.join("=").trim();
      switch (key.trim().toLowerCase()) {
        case "path":
          if (attrValue.startsWith("/")) path = attrValue;
          break;
        case "max-age":
          if (Number(attrValue) <= 0) expired = true;
          break;
        case "expires":
          if (Date.parse(attrValue) <= Date.now()) expired = true;
          break;
      }
    }
    const key = `${name};${path}`;
    if (expired) jar.delete(key);
    else jar.set(key, { name, value, path });
  }
}

/** Command-line mode: start, describe, run until SIGINT/SIGTERM. */
async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "9090" },
      "client-id": { type: "string" },
      "client-secret": { type: "string" },
      "redirect-uri": { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "Usage: node scripts/dev-idp.mjs [--port 9090] [--client-id ID --client-secret SECRET --redirect-uri URI ...]\n" +
        "Defaults: client pandgate-dev, secret pandgate-dev-secret (or $DEV_IDP_CLIENT_SECRET), redirect http://localhost:8787/oauth/callback",
    );
    return;
  }
  const port = Number(values.port);
  const clientId = values["client-id"] ?? "pandgate-dev";
  const clientSecret = values["client-secret"] ?? process.env.DEV_IDP_CLIENT_SECRET ?? "pandgate-dev-secret";
  const redirectUris = values["redirect-uri"]?.length ? values["redirect-uri"] : ["http://localhost:8787/oauth/callback"];

  const idp = await startDevIdp({ port, clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: redirectUris }] });

  const lines = [`dev-idp listening on ${idp.origin} (loopback only)`, "", "Tenants:"];
  for (const tenant of idp.tenants) {
    lines.push(`  ${tenant.name} (tid ${tenant.id})`);
    lines.push(`    issuer     ${tenant.issuer}`);
    lines.push(`    discovery  ${tenant.issuer}/.well-known/openid-configuration`);
  }
  lines.push("", "Users (sign in only at their own tenant):");
  for (const user of idp.users) {
    const tenant = idp.tenants.find((candidate) => candidate.id === user.tenantId);
    const roles = user.roles.length ? user.roles.join(", ") : "none";
    lines.push(`  ${user.username}  password "${user.password}"  ${user.name}, ${tenant?.name}, roles: ${roles}`);
  }
  lines.push("", "Client (registered in every tenant, client_secret_post):");
  lines.push(`  client_id      ${clientId}`);
  lines.push(
    `  client_secret  (not printed${values["client-secret"] || process.env.DEV_IDP_CLIENT_SECRET ? "" : "; the built-in default, see scripts/dev-idp.mjs"})`,
  );
  for (const uri of redirectUris) lines.push(`  redirect_uri   ${uri}`);
  lines.push("", "Ctrl+C to stop.");
  console.log(lines.join("\n"));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await idp.close();
    console.log("dev-idp stopped");
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((error) => {
    console.error("dev-idp:", error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
