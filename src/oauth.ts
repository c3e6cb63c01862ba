import type { OAuthProviderOptions } from "@cloudflare/workers-oauth-provider";
import { BASELINE_SCOPES, SUPPORTED_SCOPES } from "./auth/scopes";
import type { Config } from "./config";
import { createApp } from "./http/app";
import { createMcpGateway } from "./mcp/gateway";

/** The OAuth provider's configuration: pandgate is both the authorization server and the `/mcp` resource. */
export function providerOptions(config: Config): OAuthProviderOptions<Env> {
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
  };
}
