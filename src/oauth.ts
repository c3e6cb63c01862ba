import { OAuthProvider, type OAuthProviderOptions } from "@cloudflare/workers-oauth-provider";
import { createExternalTokenResolver } from "./auth/external-token";
import { BASELINE_SCOPES, SUPPORTED_SCOPES } from "./auth/scopes";
import type { Config } from "./config";
import { createApp } from "./http/app";
import { log } from "./log";
import { createMcpGateway } from "./mcp/gateway";

const ROOT_RESOURCE_METADATA = "/.well-known/oauth-protected-resource";

/** The OAuth provider's configuration: pandgate is both the authorization server and the `/mcp` resource. */
export function providerOptions(config: Config): OAuthProviderOptions<Env> {
  const externalTokens = createExternalTokenResolver(config);
  return {
    apiRoute: "/mcp",
    apiHandler: createMcpGateway(config),
    defaultHandler: createApp(config),
    authorizeEndpoint: "/authorize",
    tokenEndpoint: "/oauth/token",
    clientRegistrationEndpoint: "/oauth/register",
    clientIdMetadataDocumentEnabled: true,
    scopesSupported: [...SUPPORTED_SCOPES],
    requiredScopes: [...BASELINE_SCOPES],
    resourceMetadata: { resource: config.mcpResource },
    ...(externalTokens && { resolveExternalToken: externalTokens }),
    onError({ code, status, internal }) {
      // The stable internal slugs say which check failed; descriptions and details stay out of logs.
      log("warn", "oauth_error", { code, status, category: internal?.category, reason: internal?.reason });
    },
  };
}

/**
 * The Worker: the OAuth provider, plus the root protected-resource metadata URL. The provider
 * serves the path-inserted document (`/.well-known/oauth-protected-resource/mcp`); clients of
 * older revisions look at the root, so the same document is served there too.
 */
export function createWorker(config: Config): ExportedHandler<Env> & { fetch: NonNullable<ExportedHandler<Env>["fetch"]> } {
  const provider = new OAuthProvider(providerOptions(config));
  const insertedPath = `${ROOT_RESOURCE_METADATA}${new URL(config.mcpResource).pathname}`;
  return {
    fetch(request, env, ctx) {
      const url = new URL(request.url);
      if (url.pathname === ROOT_RESOURCE_METADATA) {
        url.pathname = insertedPath;
        return provider.fetch(new Request(url, request), env, ctx);
      }
      return provider.fetch(request, env, ctx);
    },
  };
}
