import { env } from "cloudflare:workers";
import { HttpResponse, http } from "msw";
import { beforeEach, describe, expect, it } from "vitest";
import { EntraMock, entraUser, TENANT_A } from "./helpers/entra";
import { connectClient, postMcp } from "./helpers/mcp";
import { mockServer } from "./helpers/msw";
import { checkedScopes, openAuthorize, type RegisteredClient, redeem, registerClient, submitConsent } from "./helpers/signin";

/**
 * The hosted clients people connect with, replayed from their documentation and their users'
 * reports: how each registers, which redirect URI it authorizes with, which scope it asks for
 * (the challenge's), and the browser Origin its MCP requests carry. Each must sign in with the
 * consent page's defaults, see the write tools, and call one.
 */

interface Replay {
  name: string;
  /** How the client is known to the server: a dynamic registration body, or a CIMD document. */
  register: () => Promise<RegisteredClient>;
  redirectUri: string;
  /** The Origin header on its MCP requests (none for desktop apps). */
  origin?: string;
}

function cimd(clientId: string, document: Record<string, unknown>): () => Promise<RegisteredClient> {
  return async () => {
    mockServer.use(
      http.get(clientId, () => HttpResponse.json({ client_id: clientId, ...document }, { headers: { "cache-control": "max-age=300" } })),
    );
    return { client_id: clientId, redirect_uris: document.redirect_uris as string[] };
  };
}

const CURSOR_CALLBACK = "cursor://anysphere.cursor-mcp/oauth/callback";
/** VS Code's metadata document: one client for the desktop app (loopback) and vscode.dev. */
const VSCODE = cimd("https://vscode.dev/oauth/client-metadata.json", {
  client_name: "Visual Studio Code",
  redirect_uris: ["https://vscode.dev/redirect", "http://127.0.0.1:33418/", "http://localhost:33418/"],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "none",
  application_type: "native",
});

const replays: Replay[] = [
  {
    name: "Claude.ai (DCR, claude.ai callback)",
    register: () => registerClient({ client_name: "Claude", redirect_uris: ["https://claude.ai/api/mcp/auth_callback"] }),
    redirectUri: "https://claude.ai/api/mcp/auth_callback",
    origin: "https://claude.ai",
  },
  {
    name: "Claude (DCR, claude.com callback)",
    register: () => registerClient({ client_name: "Claude", redirect_uris: ["https://claude.com/api/mcp/auth_callback"] }),
    redirectUri: "https://claude.com/api/mcp/auth_callback",
    origin: "https://claude.com",
  },
  {
    name: "ChatGPT (Client ID Metadata Document offering none and private_key_jwt)",
    register: cimd("https://chatgpt.com/oauth/pandgate-test/client-metadata.json", {
      client_name: "ChatGPT",
      redirect_uris: ["https://chatgpt.com/connector_platform_oauth_redirect"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_methods_supported: ["none", "private_key_jwt"],
      token_endpoint_auth_method: "none",
    }),
    redirectUri: "https://chatgpt.com/connector_platform_oauth_redirect",
    origin: "https://chatgpt.com",
  },
  {
    name: "VS Code (Client ID Metadata Document, loopback callback)",
    register: VSCODE,
    redirectUri: "http://127.0.0.1:33418/",
  },
  {
    name: "VS Code for the Web (vscode.dev redirect)",
    register: VSCODE,
    redirectUri: "https://vscode.dev/redirect",
    origin: "https://vscode.dev",
  },
  {
    name: "Cursor (DCR with three redirect URIs, cursor:// callback)",
    register: () =>
      registerClient({
        client_name: "Cursor",
        redirect_uris: [CURSOR_CALLBACK, "https://cursor.com/agents/oauth/callback", "http://localhost:47832/callback"],
      }),
    redirectUri: CURSOR_CALLBACK,
  },
];

let entra: EntraMock;
beforeEach(() => {
  entra = new EntraMock().install();
});

async function assessmentsOf(userKey: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM assessments WHERE owner_key = ?").bind(userKey).first<{ n: number }>();
  return Number(row?.n ?? 0);
}

describe("hosted clients, replayed", () => {
  it.each(replays)("$name signs in with the page's defaults, lists and calls a write tool", async (replay) => {
    // What the client learns first: the challenge's scope, which it requests as it is.
    const challenge = await postMcp(
      null,
      { jsonrpc: "2.0", id: 0, method: "initialize", params: {} },
      replay.origin ? { origin: replay.origin } : {},
    );
    expect(challenge.status).toBe(401);
    const scope = /scope="([^"]+)"/.exec(challenge.headers.get("www-authenticate") ?? "")?.[1];
    expect(scope).toBe("mcp:read mcp:write");
    if (replay.origin) expect(challenge.headers.get("access-control-allow-origin")).toBe(replay.origin);

    const client = await replay.register();
    const { res, auth } = await openAuthorize(client, { scope, redirectUri: replay.redirectUri });
    expect(res.status).toBe(200);
    const html = await res.text();
    if (replay.redirectUri.startsWith("cursor:")) {
      expect(html).toContain("This is a desktop app.");
      expect(html).toContain(CURSOR_CALLBACK);
    }
    // The person reads the page and clicks Allow without changing anything.
    const defaults = checkedScopes(html);
    // Each registered the refresh-token grant, so "Stay signed in" is ticked although the
    // challenge's scope (which the client requested as it is) does not name offline_access.
    expect(defaults).toEqual(["mcp:read", "mcp:write", "offline_access"]);
    const approved = await submitConsent(auth.browser, html, { scopes: defaults });
    expect(approved.status).toBe(302);
    const user = entraUser(TENANT_A);
    const callback = await auth.browser.fetch(await entra.login(approved.headers.get("location") ?? "", user));
    expect(callback.status).toBe(302);
    const location = callback.headers.get("location") ?? "";
    expect(location.startsWith(replay.redirectUri)).toBe(true);
    const tokens = await redeem(auth, location);
    expect(tokens.status).toBe(200);
    expect(tokens.body.scope).toBe("mcp:read mcp:write offline_access");
    // So the client can refresh instead of sending the person through sign-in every hour.
    expect(tokens.body.refresh_token).toBeTruthy();

    const mcp = await connectClient(tokens.body.access_token ?? "", "2025-11-25", replay.origin ? { origin: replay.origin } : {});
    const names = (await mcp.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["Quick_Assess_Property", "Get_Property_Data", "Assess_Portfolio"]));
    const address = await env.DB.prepare(
      "SELECT a.id FROM addresses a JOIN energy_labels l ON l.unit_id = a.unit_id JOIN units u ON u.id = a.unit_id WHERE u.surface_m2 IS NOT NULL ORDER BY a.id LIMIT 1",
    ).first<{ id: string }>();
    const userKey = `entra.${TENANT_A}.${user.oid}`;
    const before = await assessmentsOf(userKey);
    const result = await mcp.callTool({ name: "Quick_Assess_Property", arguments: { addressId: address?.id } });
    expect(result.isError).toBeFalsy();
    expect(await assessmentsOf(userKey)).toBe(before + 1);
    await mcp.close();
  });
});
