import { env, exports } from "cloudflare:workers";
import { getOAuthApi, OAuthProvider, type OAuthProviderOptions } from "@cloudflare/workers-oauth-provider";
import type { Identity } from "../../src/auth/identity";
import { parseConfig } from "../../src/config";
import { sha256Base64Url } from "../../src/encoding";
import { providerOptions } from "../../src/oauth";

export const BASE = "https://mcp.example.com";
export const MCP_URL = `${BASE}/mcp`;
const REDIRECT_URI = "https://client.example.org/callback";

export const config = parseConfig(env as unknown as Record<string, unknown>);

export interface Minted {
  accessToken: string;
  refreshToken?: string;
  clientId: string;
  /** The client's secret, for a confidential client. */
  clientSecret?: string;
  identity: Identity;
}

/** The provider's helpers, as the Worker's own handlers get them. */
export function oauthHelpers() {
  return getOAuthApi(providerOptions(config), env);
}

let counter = 0;
/** A fresh identity per call, so tests in one file never share a user by accident. */
export function newIdentity(overrides: Partial<Identity> = {}): Identity {
  counter += 1;
  const suffix = `${Date.now().toString(36)}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
  return {
    userKey: `test-user-${suffix}`,
    tenantId: "11111111-2222-3333-4444-555555555555",
    displayName: `Test User ${counter}`,
    roles: [],
    idp: "oidc",
    ...overrides,
  };
}

/**
 * Issues a real token the way the authorize endpoint will: the provider's own helpers create a
 * client and complete an authorization for `identity`, then the code is redeemed with PKCE at
 * a token endpoint (ours unless `tokenEndpoint` names another provider's).
 */
export async function mintToken(
  identity: Identity,
  scopes: string[],
  options: {
    providerOptions?: OAuthProviderOptions<Env>;
    tokenFetch?: (req: Request) => Promise<Response>;
    /** A confidential client (client_secret_post) instead of a public one. */
    confidential?: boolean;
  } = {},
): Promise<Minted> {
  const opts = options.providerOptions ?? providerOptions(config);
  const helpers = getOAuthApi(opts, env);
  const resource = opts.resourceMetadata?.resource ?? MCP_URL;
  const client = await helpers.createClient({
    redirectUris: [REDIRECT_URI],
    clientName: "pandgate test client",
    tokenEndpointAuthMethod: options.confidential ? "client_secret_post" : "none",
  });
  const verifier = `${crypto.randomUUID()}${crypto.randomUUID()}`;
  const query = new URLSearchParams({
    response_type: "code",
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: scopes.join(" "),
    state: "test-state",
    code_challenge: await sha256Base64Url(verifier),
    code_challenge_method: "S256",
    resource,
  });
  const authRequest = await helpers.parseAuthRequest(new Request(`${new URL(resource).origin}/authorize?${query}`));
  const { redirectTo } = await helpers.completeAuthorization({
    request: authRequest,
    userId: identity.userKey,
    metadata: { label: "test" },
    scope: scopes,
    props: identity,
  });
  const code = new URL(redirectTo).searchParams.get("code");
  if (!code) throw new Error(`no code in ${redirectTo}`);
  const tokenRequest = new Request(`${new URL(resource).origin}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      client_id: client.clientId,
      ...(client.clientSecret && { client_secret: client.clientSecret }),
      code_verifier: verifier,
      resource,
    }),
  });
  const tokenFetch = options.tokenFetch ?? ((req: Request) => exports.default.fetch(req));
  const res = await tokenFetch(tokenRequest);
  const body = (await res.json()) as { access_token?: string; refresh_token?: string; error?: string };
  if (!res.ok || !body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    clientId: client.clientId,
    ...(client.clientSecret && { clientSecret: client.clientSecret }),
    identity,
  };
}

/** A provider for another resource that shares our KV: its tokens are real, but not for us. */
export function foreignProvider(): { options: OAuthProviderOptions<Env>; fetch: (req: Request) => Promise<Response> } {
  const options: OAuthProviderOptions<Env> = {
    ...providerOptions(config),
    resourceMetadata: { resource: "https://other.example.net/mcp" },
  };
  const provider = new OAuthProvider(options);
  return {
    options,
    fetch: (req) => provider.fetch(req, env, { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext),
  };
}
