import { getOAuthApi, OAuthProvider, type OAuthProviderOptions } from "@cloudflare/workers-oauth-provider";
import { consumeAuditBatch } from "./audit/consumer";
import { withAuditScope } from "./audit/record";
import { sweepAuditEvents } from "./audit/retention";
import { createExternalTokenResolver } from "./auth/external-token";
import { RESOURCE_SCOPES, SUPPORTED_SCOPES } from "./auth/scopes";
import { ACCESS_TOKEN_TTL_S, createTokenRules } from "./auth/token-lifetimes";
import type { Config } from "./config";
import { createApp } from "./http/app";
import { createOAuthRateLimit } from "./http/rate-limit";
import { auditRegistration, boundRegistration } from "./http/registration";
import { serveTokenEndpoint } from "./http/token-endpoint";
import { log } from "./log";
import { createMcpGateway, notTheEndpoint } from "./mcp/gateway";
import { createOriginPolicy } from "./mcp/origin";

const ROOT_RESOURCE_METADATA = "/.well-known/oauth-protected-resource";
const TOKEN_ENDPOINT = "/oauth/token";

/** The OAuth provider's configuration: pandgate is both the authorization server and the `/mcp` resource. */
export function providerOptions(config: Config): OAuthProviderOptions<Env> {
  const externalTokens = createExternalTokenResolver(config);
  return {
    apiRoute: "/mcp",
    apiHandler: createMcpGateway(config),
    defaultHandler: createApp(config),
    authorizeEndpoint: "/authorize",
    tokenEndpoint: TOKEN_ENDPOINT,
    clientRegistrationEndpoint: "/oauth/register",
    clientIdMetadataDocumentEnabled: true,
    // RFC 8252 private-use schemes (Cursor's cursor://…); the consent page requires PKCE for them.
    allowPrivateUseRedirectUris: true,
    scopesSupported: [...SUPPORTED_SCOPES],
    requiredScopes: [...RESOURCE_SCOPES],
    resourceMetadata: { resource: config.mcpResource },
    accessTokenTTL: ACCESS_TOKEN_TTL_S,
    // Refresh tokens only with offline_access, with an idle timeout and an absolute end, and each
    // refresh re-checked at the identity provider.
    tokenExchangeCallback: createTokenRules(config.upstream),
    ...(externalTokens && { resolveExternalToken: externalTokens }),
    onError({ code, status, internal }) {
      // The stable internal slugs say which check failed; descriptions and details stay out of logs.
      log("warn", "oauth_error", { code, status, category: internal?.category, reason: internal?.reason });
    },
  };
}

/**
 * The Worker: the OAuth provider behind three small adjustments.
 * - The root protected-resource metadata URL serves the same document as the path-inserted one
 *   (`/.well-known/oauth-protected-resource/mcp`), which clients of older revisions look for.
 * - `/mcp/` is the same endpoint as `/mcp` (and so is its metadata URL); any other path under
 *   `/mcp/` is a 404, with or without a token.
 * - The `/mcp` Origin and CORS policy runs before the provider looks at any token.
 * - The token endpoint adds refresh-token reuse detection and its audit events
 *   (./http/token-endpoint.ts); registration records its outcome (./http/registration.ts) and its
 *   JSON is bounded in size and nesting before the library parses it (`boundRegistration`).
 * - The OAuth endpoints' rate limits answer `429` before the provider reads anything
 *   (./http/rate-limit.ts); `/mcp` is limited per user in the gateway, once the token names the user.
 */
export function createWorker(config: Config): ExportedHandler<Env> & {
  fetch: NonNullable<ExportedHandler<Env>["fetch"]>;
  queue: NonNullable<ExportedHandler<Env>["queue"]>;
  scheduled: NonNullable<ExportedHandler<Env>["scheduled"]>;
} {
  const options = providerOptions(config);
  const provider = new OAuthProvider(options);
  const resourcePath = new URL(config.mcpResource).pathname;
  const insertedPath = `${ROOT_RESOURCE_METADATA}${resourcePath}`;
  const origins = createOriginPolicy(config);
  const registerPath = options.clientRegistrationEndpoint ?? "/oauth/register";
  const limits = createOAuthRateLimit(config, {
    authorize: options.authorizeEndpoint,
    callback: "/oauth/callback", // mounted by ./http/signin.tsx
    token: TOKEN_ENDPOINT,
    register: registerPath,
  });
  return {
    /** Every audit event recorded while answering is stored before the answer leaves (./audit/record.ts). */
    fetch(request, env, ctx) {
      return withAuditScope(() => serve(request, env, ctx));
    },
    /** The audit trail's queue consumer (./audit/consumer.ts). */
    async queue(batch, env) {
      await consumeAuditBatch(batch, env.DB);
    },
    /** The daily cron: the audit trail's retention sweep. */
    async scheduled(_controller, env) {
      await sweepAuditEvents(env.DB, config.auditRetentionDays);
    },
  };

  async function serve(request: Request<unknown, IncomingRequestCfProperties>, env: Env, ctx: ExecutionContext): Promise<Response> {
    {
      const url = new URL(request.url);
      if (url.pathname === ROOT_RESOURCE_METADATA || url.pathname === `${insertedPath}/`) url.pathname = insertedPath;
      if (url.pathname === `${resourcePath}/`) url.pathname = resourcePath;
      const routed = url.href === request.url ? request : new Request(url, request);
      if (url.pathname === resourcePath) return origins.guard(routed, () => provider.fetch(routed, env, ctx));
      // The library would check the token of any path under the resource, so `/mcp//` answered
      // 401 without a token and 404 with one. There is one resource: anything under it is a 404
      // before any token is read (with the Origin policy, so an allowed page can read it).
      if (url.pathname.startsWith(`${resourcePath}/`)) return origins.guard(routed, async () => notTheEndpoint(config));
      const refused = await limits?.check(routed, env);
      if (refused) return refused;
      if (url.pathname === TOKEN_ENDPOINT) {
        return serveTokenEndpoint(routed, env, {
          kv: env.OAUTH_KV,
          helpers: () => getOAuthApi(options, env),
          next: (request, noted) => provider.fetch(request, noted, ctx),
        });
      }
      if (url.pathname === registerPath) {
        return auditRegistration(routed, env, async (request) => (await boundRegistration(request)) ?? provider.fetch(request, env, ctx));
      }
      return provider.fetch(routed, env, ctx);
    }
  }
}
