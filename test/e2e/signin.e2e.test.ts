/// <reference types="node" />
// Sign-in end to end, over real HTTP on loopback: the Worker under `wrangler dev`, the dev IdP
// (scripts/dev-idp.mjs) and the official MCP SDK client. The browser's part is walked headlessly.
import {
  Client,
  type FetchLike,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { expectAuthorizationRequest, MemoryOAuthState } from "./clients";
import {
  ANNA,
  authorizationRequest,
  BRAM,
  browserLeg,
  CHRIS,
  CONTOSO,
  FABRIKAM,
  freePort,
  redeemCode,
  registerPublicClient,
  runScript,
  type Stack,
  signIn,
  startStack,
} from "./stack";

interface ServerInfo {
  server: { name: string; version: string };
  user: { userKey: string; tenantId: string; displayName?: string; roles: string[]; identityProvider: string };
  clientId: string;
  scopes: string[];
  protocolVersion: string;
}

/** An interactive OAuth client for the SDK, in memory: the test plays the browser. */
class RecordingOAuthProvider
  extends MemoryOAuthState<StoredOAuthClientInformation, StoredOAuthTokens, OAuthDiscoveryState>
  implements OAuthClientProvider
{
  constructor(callbackUrl: string) {
    super(callbackUrl, "pandgate e2e (MCP SDK)");
  }
}

/** Calls Get_Server_Info through the SDK client with a fixed bearer token. */
async function serverInfoWith(mcpUrl: string, accessToken: string): Promise<ServerInfo> {
  const client = new Client({ name: "pandgate-e2e", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: { token: async () => accessToken } });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: "Get_Server_Info", arguments: {} });
    return result.structuredContent as unknown as ServerInfo;
  } finally {
    await client.close();
  }
}

/** A loopback redirect URI on a port nothing listens on (the test reads the redirect instead). */
async function unusedLoopbackRedirect(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}/callback`;
}

function form(values: Record<string, string>): { method: "POST"; headers: Record<string, string>; body: string } {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(values).toString(),
  };
}

/**
 * Chris (Fabrikam) signs in through a fresh public client: the dev IdP lets him in and sends a
 * code back, and pandgate answers the callback with its own 403 page, never a code for the client.
 */
async function chrisRefusedAtCallback(stack: { url: string; mcpUrl: string }, clientName: string) {
  const redirectUri = await unusedLoopbackRedirect();
  const client = await registerPublicClient(stack.url, { client_name: clientName, redirect_uris: [redirectUri] });
  const { url: authorizeUrl } = authorizationRequest(`${stack.url}/authorize`, {
    clientId: client.client_id,
    redirectUri,
    scope: "mcp:read",
    resource: stack.mcpUrl,
  });
  const leg = await browserLeg(authorizeUrl, CHRIS);
  expect(leg.callbackUrl.searchParams.get("code")).toBeTruthy(); // the IdP did sign Chris in
  expect(leg.callback.status).toBe(403);
  expect(leg.callback.location).toBeNull();
  expect(leg.callback.body).toContain("Sign-in refused");
  expect(leg.callback.body).toContain(`tenant ${FABRIKAM}) is not allowed`);
  // The page may link back to the client, but only with an error, never with a code.
  expect(leg.callback.body).not.toMatch(/[?&;]code=/);
  return { leg, clientId: client.client_id };
}

describe("sign-in through the dev IdP (tenant Contoso allowed)", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ issuerTenant: CONTOSO, allowedTenantIds: [CONTOSO] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("MCP SDK client: discovery, dynamic registration, sign-in as Anna, Get_Server_Info", async () => {
    const callbackUrl = await unusedLoopbackRedirect();
    const provider = new RecordingOAuthProvider(callbackUrl);
    const requests: string[] = [];
    const recordingFetch: FetchLike = (url, init) => {
      const target = new URL(url);
      requests.push(`${init?.method ?? "GET"} ${target.origin === stack.url ? target.pathname : target.href}`);
      return fetch(url, init);
    };

    // 1. Unauthenticated: the SDK discovers, registers and hands us the authorization URL.
    const first = new Client({ name: "pandgate-e2e", version: "1.0.0" });
    const firstTransport = new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: provider, fetch: recordingFetch });
    const failure = await first.connect(firstTransport).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(UnauthorizedError.isInstance(failure), `connect() should fail with UnauthorizedError, got ${String(failure)}`).toBe(true);
    await first.close().catch(() => {});

    expect(requests).toContain("POST /mcp");
    expect(requests).toContain("GET /.well-known/oauth-protected-resource/mcp");
    expect(requests).toContain("GET /.well-known/oauth-authorization-server");
    expect(requests).toContain("POST /oauth/register");
    const discovery = provider.discoveryState();
    expect(discovery?.resourceMetadata?.resource).toBe(stack.mcpUrl);
    expect(discovery?.authorizationServerMetadata?.issuer).toBe(stack.url);

    expect(provider.registrations).toHaveLength(1);
    const registered = provider.registrations[0];
    expect(registered?.client_id).toBeTruthy();

    expect(provider.authorizationUrls).toHaveLength(1);
    const authorizeUrl = provider.authorizationUrls[0] as URL;
    expectAuthorizationRequest(authorizeUrl, stack);
    expect(authorizeUrl.searchParams.get("client_id")).toBe(registered?.client_id);
    expect(authorizeUrl.searchParams.get("redirect_uri")).toBe(callbackUrl);
    expect(authorizeUrl.searchParams.get("state")).toBe(provider.state());
    expect(authorizeUrl.searchParams.get("scope")?.split(" ")).toContain("mcp:read");

    // 2. The browser: consent, the IdP, back to the client's loopback redirect.
    const { clientRedirect, leg } = await signIn(authorizeUrl, ANNA);
    expect(leg.consentHtml).toContain("pandgate e2e (MCP SDK)");
    expect(leg.upstreamUrl.origin).toBe(stack.idp.origin);
    expect(leg.upstreamUrl.searchParams.get("client_id")).toBe("pandgate-e2e");
    expect(leg.upstreamUrl.searchParams.has("resource")).toBe(false);
    expect(`${clientRedirect.origin}${clientRedirect.pathname}`).toBe(callbackUrl);
    expect(clientRedirect.searchParams.get("state")).toBe(provider.state());
    expect(clientRedirect.searchParams.get("iss")).toBe(stack.url);
    expect(clientRedirect.searchParams.get("code")).toBeTruthy();

    // 3. The SDK redeems the code (checking `iss`), then a new transport connects with the token.
    await firstTransport.finishAuth(clientRedirect.searchParams);
    expect(requests).toContain("POST /oauth/token");
    expect(provider.tokens()?.access_token).toBeTruthy();

    const client = new Client({ name: "pandgate-e2e", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: provider, fetch: recordingFetch }));
    try {
      const result = await client.callTool({ name: "Get_Server_Info", arguments: {} });
      const info = result.structuredContent as unknown as ServerInfo;
      expect(info.user).toMatchObject({
        displayName: "Anna de Vries",
        roles: ["Admin"],
        identityProvider: "oidc",
        tenantId: CONTOSO,
      });
      expect(info.clientId).toBe(registered?.client_id);
      expect(info.scopes).toContain("mcp:read");
    } finally {
      await client.close();
    }
    // Discovery and registration happened once; the second connection reused them.
    expect(requests.filter((r) => r === "POST /oauth/register")).toHaveLength(1);
  });

  it("pre-registered confidential client (client_secret_post): discovery by hand, sign-in as Bram, refresh rotation", async () => {
    // The operator registers the client (Blockbrain's path).
    const redirectUri = "https://blockbrain.example/oauth/callback";
    const output = await runScript(
      "clients.mjs",
      [
        "create",
        "--name",
        "Blockbrain",
        "--redirect-uri",
        redirectUri,
        "--auth",
        "post",
        "--tenant",
        CONTOSO,
        "--url",
        stack.url,
        "--json",
      ],
      { OPERATOR_SECRET: stack.operatorSecret },
    );
    const created = JSON.parse(output) as { clientId: string; clientSecret: string; name: string; redirectUris: string[] };
    expect(created).toMatchObject({ name: "Blockbrain", redirectUris: [redirectUri], tenants: [CONTOSO] });
    expect(created.clientSecret).toBeTruthy();

    // RFC 9728: the 401 names the protected resource metadata.
    const unauthenticated = await fetch(stack.mcpUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "blockbrain-e2e", version: "1.0.0" } },
      }),
    });
    expect(unauthenticated.status).toBe(401);
    await unauthenticated.body?.cancel();
    const challenge = unauthenticated.headers.get("www-authenticate") ?? "";
    expect(challenge).toMatch(/^Bearer /);
    const resourceMetadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(resourceMetadataUrl).toBe(`${stack.url}/.well-known/oauth-protected-resource/mcp`);
    const prm = (await (await fetch(resourceMetadataUrl as string)).json()) as { resource: string; authorization_servers: string[] };
    expect(prm.resource).toBe(stack.mcpUrl);
    const issuer = prm.authorization_servers[0] as string;
    expect(issuer).toBeTruthy();

    // RFC 8414 (no path in the issuer, so the well-known path is simply appended).
    const issuerUrl = new URL(issuer);
    const asMetadataUrl = new URL(
      `/.well-known/oauth-authorization-server${issuerUrl.pathname === "/" ? "" : issuerUrl.pathname}`,
      issuerUrl,
    );
    expect(asMetadataUrl.href).toBe(`${stack.url}/.well-known/oauth-authorization-server`);
    const as = (await (await fetch(asMetadataUrl)).json()) as {
      issuer: string;
      authorization_endpoint: string;
      token_endpoint: string;
      token_endpoint_auth_methods_supported: string[];
      code_challenge_methods_supported: string[];
      scopes_supported: string[];
    };
    expect(as.issuer).toBe(stack.url);
    expect(as.token_endpoint_auth_methods_supported).toContain("client_secret_post");
    expect(as.code_challenge_methods_supported).toContain("S256");
    expect(as.scopes_supported).toEqual(expect.arrayContaining(["mcp:read", "offline_access"]));

    // Authorization code with PKCE and a resource indicator; offline_access ticked on the consent page.
    const request = authorizationRequest(as.authorization_endpoint, {
      clientId: created.clientId,
      redirectUri,
      scope: "mcp:read offline_access",
      resource: prm.resource,
    });
    const { clientRedirect, leg } = await signIn(request.url, BRAM, { scopes: ["offline_access"] });
    expect(leg.consentHtml).toContain("Blockbrain");
    expect(leg.consentHtml).toContain("blockbrain.example");
    expect(leg.upstreamUrl.searchParams.has("resource")).toBe(false);
    expect(`${clientRedirect.origin}${clientRedirect.pathname}`).toBe(redirectUri);
    expect(clientRedirect.searchParams.get("state")).toBe(request.state);
    expect(clientRedirect.searchParams.get("iss")).toBe(stack.url);
    const code = clientRedirect.searchParams.get("code") as string;
    expect(code).toBeTruthy();

    const redeemed = await redeemCode(as.token_endpoint, request, code, created.clientSecret);
    const tokens = redeemed.body;
    expect(redeemed.status, JSON.stringify(tokens)).toBe(200);
    expect(tokens.token_type?.toLowerCase()).toBe("bearer");
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.scope?.split(" ")).toEqual(expect.arrayContaining(["mcp:read", "offline_access"]));

    const info = await serverInfoWith(stack.mcpUrl, tokens.access_token as string);
    expect(info.user).toMatchObject({ displayName: "Bram Jansen", roles: [], identityProvider: "oidc", tenantId: CONTOSO });
    expect(info.clientId).toBe(created.clientId);

    // Refresh with client_secret_post: a new access token and a new refresh token.
    const refresh = async (refreshToken: string, secret = created.clientSecret) => {
      const res = await fetch(
        as.token_endpoint,
        form({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: created.clientId, client_secret: secret }),
      );
      return { status: res.status, body: (await res.json()) as { access_token?: string; refresh_token?: string; error?: string } };
    };
    const first = await refresh(tokens.refresh_token as string);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.access_token).toBeTruthy();
    expect(first.body.access_token).not.toBe(tokens.access_token);
    expect(first.body.refresh_token).toBeTruthy();
    expect(first.body.refresh_token).not.toBe(tokens.refresh_token);
    expect((await serverInfoWith(stack.mcpUrl, first.body.access_token as string)).user.displayName).toBe("Bram Jansen");

    // A wrong secret is refused as invalid_client (and does not use up the refresh token).
    const wrong = await refresh(first.body.refresh_token as string, `${created.clientSecret}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe("invalid_client");

    const second = await refresh(first.body.refresh_token as string);
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.refresh_token).toBeTruthy();
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect((await serverInfoWith(stack.mcpUrl, second.body.access_token as string)).user.displayName).toBe("Bram Jansen");

    // The operator lists Bram's grants and revokes this one: its refresh token is dead at once.
    // "--" ends the options: a grant id may start with "-".
    const operator = async (command: string, ...positionals: string[]) =>
      JSON.parse(
        await runScript("clients.mjs", [command, "--url", stack.url, "--json", "--", ...positionals], {
          OPERATOR_SECRET: stack.operatorSecret,
        }),
      );
    const grants = (await operator("grants", info.user.userKey)) as Array<{ grantId: string; clientId: string }>;
    const grantId = grants.find((g) => g.clientId === created.clientId)?.grantId ?? "";
    expect(await operator("revoke", info.user.userKey, grantId)).toMatchObject({ revoked: 1, grantIds: [grantId] });
    expect((await refresh(second.body.refresh_token as string)).body.error).toBe("invalid_grant");
  });

  // As `npm run dev` configures it: sign-in at Contoso's endpoint, only Contoso allowed.
  it("Chris (Fabrikam) at the Contoso sign-in: the dev IdP signs him in; pandgate's ALLOWED_TENANT_IDS refuses him with its own page and a signin.failed event", async () => {
    const { leg, clientId } = await chrisRefusedAtCallback(stack, "pandgate e2e (dev tenant check)");
    // The sign-in went to Contoso's endpoint, as `npm run dev` configures it.
    expect(leg.upstreamUrl.href.startsWith(`${stack.idp.origin}/${CONTOSO}/`)).toBe(true);
    expect(leg.callbackUrl.origin).toBe(stack.url);

    // The audit trail records the refusal with its reason and Chris's tenant (written before the answer).
    type AuditEvents = { events: Array<{ kind: string; outcome: string; reason?: string; tenantId?: string; clientId?: string }> };
    const refusal = await vi.waitFor(
      async () => {
        const res = await fetch(`${stack.url}/admin/audit?kind=signin.failed`, {
          headers: { authorization: `Bearer ${stack.operatorSecret}` },
        });
        expect(res.status).toBe(200);
        const found = ((await res.json()) as AuditEvents).events.find((e) => e.clientId === clientId);
        expect(found).toBeDefined();
        return found;
      },
      { timeout: 30_000, interval: 250 },
    );
    expect(refusal).toMatchObject({ kind: "signin.failed", outcome: "denied", reason: "tenant_not_allowed", tenantId: FABRIKAM });
  });
});

describe("sign-in by a user of a tenant that is not allowed", () => {
  let stack: Stack;

  beforeAll(async () => {
    // Signs in at the Fabrikam tenant, but only Contoso is allowed.
    stack = await startStack({ issuerTenant: FABRIKAM, allowedTenantIds: [CONTOSO] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("refuses Chris (Fabrikam) with a 403 page, and no code reaches the client", async () => {
    const { leg } = await chrisRefusedAtCallback(stack, "pandgate e2e (tenant check)");
    expect(leg.upstreamUrl.href.startsWith(`${stack.idp.origin}/${FABRIKAM}/`)).toBe(true);
  });
});
