import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { Browser } from "./helpers/browser";
import { EntraMock, entraUser, TENANT_A } from "./helpers/entra";
import { BASE, MCP_URL, oauthHelpers } from "./helpers/oauth";
import {
  approveAndSignIn,
  checkedScopes,
  openAuthorize,
  redeem,
  refresh,
  registerClient,
  rememberApp,
  signInAndRedeem,
} from "./helpers/signin";

let entra: EntraMock;
beforeEach(() => {
  entra = new EntraMock().install();
});

describe("offline_access", () => {
  it("issues a refresh token only when the person allowed offline_access", async () => {
    const client = await registerClient();
    /** Signs in asking for `scope` with `ticked` left ticked; the tokens the client gets. */
    const grant = async (scope: string, ticked: string[]) => {
      const tokens = await signInAndRedeem(entra, client, entraUser(), { scope, scopes: ticked });
      expect(tokens.status).toBe(200);
      return tokens.body;
    };
    const plain = await grant("mcp:read mcp:write offline_access", ["mcp:write"]);
    expect(plain.scope).toBe("mcp:read mcp:write");
    expect(plain.refresh_token).toBeUndefined();

    const offline = await grant("mcp:read offline_access", ["offline_access"]);
    expect(offline.scope).toBe("mcp:read offline_access");
    expect(offline.refresh_token).toBeTruthy();
    // The refresh keeps the grant's scopes and cannot widen them (RFC 6749 §6).
    const refreshed = await refresh(client, offline.refresh_token ?? "");
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.scope).toBe("mcp:read offline_access");
    expect(refreshed.body.refresh_token).toBeTruthy();
  });

  it("says on the consent page what offline_access means", async () => {
    const { res } = await openAuthorize(await registerClient(), { scope: "mcp:read offline_access" });
    const html = await res.text();
    expect(html).toContain("refresh tokens");
    expect(html).toContain("sign in again after an hour");
  });
});

describe("what the consent page ticks", () => {
  it("ticks what the client asked for, and everything the resource offers when it asked for nothing of ours", async () => {
    const client = await registerClient();
    const cases: Array<[string, string[]]> = [
      ["mcp:read", ["mcp:read"]],
      ["mcp:read mcp:write", ["mcp:read", "mcp:write"]],
      ["mcp:read mcp:write offline_access", ["mcp:read", "mcp:write", "offline_access"]],
      ["", ["mcp:read", "mcp:write"]],
    ];
    for (const [scope, ticked] of cases) {
      const { res } = await openAuthorize(client, { scope });
      expect(res.status, scope).toBe(200);
      expect(checkedScopes(await res.text()), scope).toEqual(ticked);
    }
  });

  it("grants only what the person left ticked, whatever the client asked for", async () => {
    const client = await registerClient();
    const tokens = await signInAndRedeem(entra, client, entraUser(), { scope: "mcp:read mcp:write offline_access", scopes: [] });
    expect(tokens.body.scope).toBe("mcp:read");
    expect(tokens.body.refresh_token).toBeUndefined();
  });
});

describe("prompt=consent", () => {
  it("shows the consent page even for an app this browser remembers", async () => {
    const client = await registerClient();
    const browser = await rememberApp(client);
    const remembered = await openAuthorize(client, { browser });
    expect(remembered.res.status).toBe(302);
    const forced = await openAuthorize(client, { browser, extra: { prompt: "consent" } });
    expect(forced.res.status).toBe(200);
    expect(await forced.res.text()).toContain("Allow Test MCP Client");
  });
});

describe("private-use redirect URIs (desktop apps)", () => {
  const CURSOR = "cursor://anysphere.cursor-mcp/oauth/callback";

  it("registers and signs in an app with a cursor:// callback, named as a desktop app", async () => {
    const client = await registerClient({ client_name: "Cursor", redirect_uris: [CURSOR] });
    const { callback, auth } = await approveAndSignIn(entra, { ...client, redirect_uris: [CURSOR] }, entraUser(TENANT_A));
    const location = callback.headers.get("location") ?? "";
    expect(location.startsWith(`${CURSOR}?`)).toBe(true);
    expect((await redeem(auth, location)).status).toBe(200);
  });

  it("refuses such a redirect without PKCE, even for a confidential client, and stores nothing", async () => {
    const confidential = await oauthHelpers().createClient({
      redirectUris: [CURSOR],
      clientName: "Desktop app with a secret",
      tokenEndpointAuthMethod: "client_secret_post",
    });
    const query = new URLSearchParams({
      response_type: "code",
      client_id: confidential.clientId,
      redirect_uri: CURSOR,
      scope: "mcp:read",
      state: "s-1",
      resource: MCP_URL,
    });
    const before = (await env.OAUTH_KV.list()).keys.length;
    const res = await new Browser().fetch(`${BASE}/authorize?${query}`);
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get("location") ?? "");
    expect(`${back.protocol}//${back.host}${back.pathname}`).toBe(CURSOR);
    expect(back.searchParams.get("error")).toBe("invalid_request");
    expect(back.searchParams.get("error_description")).toContain("PKCE");
    expect(back.searchParams.get("state")).toBe("s-1");
    expect(back.searchParams.get("iss")).toBe(BASE);
    expect((await env.OAUTH_KV.list()).keys.length).toBe(before);
  });

  it("still refuses remote plain http redirect URIs", async () => {
    const { res } = await openAuthorize(
      { client_id: (await registerClient()).client_id, redirect_uris: [] },
      { redirectUri: "http://app.example.net/cb" },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });
});
