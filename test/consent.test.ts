import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { Browser } from "./helpers/browser";
import { EntraMock, entraUser, TENANT_A } from "./helpers/entra";
import { BASE, MCP_URL, oauthHelpers } from "./helpers/oauth";
import {
  approveAndSignIn,
  checkedScopes,
  openAuthorize,
  type RegisteredClient,
  redeem,
  refresh,
  registerClient,
  rememberApp,
  signInAndRedeem,
  submitConsent,
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
    expect(html).toContain("Stay signed in");
    expect(html).toContain("up to 30 days, 7 without use");
  });
});

/** What the page offers: every checkbox's scope, ticked or not. */
function offeredScopes(html: string): string[] {
  return [...html.matchAll(/<input type="checkbox" name="scope" value="([^"]+)"/g)].map((match) => match[1] ?? "");
}

/**
 * The person submits the consent page as the browser shows it, with `untick` unticked: the
 * checked boxes (and the hidden mcp:read) go with the form. Then sign-in and the code exchange.
 */
async function consentAsShown(entra: EntraMock, client: RegisteredClient, scope: string, untick: string[] = []) {
  const { res, auth } = await openAuthorize(client, { scope });
  expect(res.status).toBe(200);
  const html = await res.text();
  const ticked = checkedScopes(html).filter((s) => !untick.includes(s));
  const approved = await submitConsent(auth.browser, html, { scopes: ticked });
  expect(approved.status).toBe(302);
  const callback = await auth.browser.fetch(await entra.login(approved.headers.get("location") ?? "", entraUser()));
  expect(callback.status).toBe(302);
  return redeem(auth, callback.headers.get("location") ?? "");
}

describe("what the consent page ticks", () => {
  it("ticks what the client asked for, and everything the resource offers when it asked for nothing of ours", async () => {
    // A client that did not register the refresh-token grant: offline_access only when it asks.
    const client = await registerClient({ grant_types: ["authorization_code"] });
    const cases: Array<[string, string[]]> = [
      ["mcp:read", ["mcp:read"]],
      ["mcp:read mcp:write", ["mcp:read", "mcp:write"]],
      ["mcp:read mcp:write offline_access", ["mcp:read", "mcp:write", "offline_access"]],
      ["", ["mcp:read", "mcp:write"]],
    ];
    for (const [scope, ticked] of cases) {
      const { res } = await openAuthorize(client, { scope });
      expect(res.status, scope).toBe(200);
      const html = await res.text();
      expect(checkedScopes(html), scope).toEqual(ticked);
      // Still offered, unticked, so the person can choose it.
      expect(offeredScopes(html), scope).toEqual(["mcp:read", "mcp:write", "offline_access"]);
    }
  });

  it("ticks 'Stay signed in' (offline_access) for a client that registered the refresh-token grant, whatever scope it asked for", async () => {
    const client = await registerClient({ grant_types: ["authorization_code", "refresh_token"] });
    const cases: Array<[string, string[]]> = [
      // The 401 challenge's scope, taken literally (the v1 SDK, Claude): no offline_access in it.
      ["mcp:read mcp:write", ["mcp:read", "mcp:write", "offline_access"]],
      ["mcp:read", ["mcp:read", "offline_access"]],
      ["", ["mcp:read", "mcp:write", "offline_access"]],
    ];
    for (const [scope, ticked] of cases) {
      const { res } = await openAuthorize(client, { scope });
      expect(res.status, scope).toBe(200);
      const html = await res.text();
      expect(checkedScopes(html), scope).toEqual(ticked);
      expect(html, scope).toContain("Stay signed in");
    }
  });

  it("a refresh-capable client asking for the challenge's scopes gets a refresh token when the page is left as shown", async () => {
    const client = await registerClient({ grant_types: ["authorization_code", "refresh_token"] });
    const tokens = await consentAsShown(entra, client, "mcp:read mcp:write");
    expect(tokens.status).toBe(200);
    expect(tokens.body.scope).toBe("mcp:read mcp:write offline_access");
    expect(tokens.body.refresh_token).toBeTruthy();
    const refreshed = await refresh(client, tokens.body.refresh_token ?? "");
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.scope).toBe("mcp:read mcp:write offline_access");
  });

  it("unticking 'Stay signed in' yields no refresh token", async () => {
    const client = await registerClient({ grant_types: ["authorization_code", "refresh_token"] });
    const tokens = await consentAsShown(entra, client, "mcp:read mcp:write", ["offline_access"]);
    expect(tokens.status).toBe(200);
    expect(tokens.body.scope).toBe("mcp:read mcp:write");
    expect(tokens.body.refresh_token).toBeUndefined();
  });

  it("a client without the refresh-token grant gets no refresh token when the page is left as shown", async () => {
    const client = await registerClient({ grant_types: ["authorization_code"] });
    const tokens = await consentAsShown(entra, client, "mcp:read mcp:write");
    expect(tokens.status).toBe(200);
    expect(tokens.body.scope).toBe("mcp:read mcp:write");
    expect(tokens.body.refresh_token).toBeUndefined();
  });

  it("an app remembered with 'Stay signed in' keeps it when it asks again for the challenge's scopes only", async () => {
    const client = await registerClient({ grant_types: ["authorization_code", "refresh_token"] });
    const first = await openAuthorize(client, { scope: "mcp:read mcp:write" });
    const html = await first.res.text();
    const approved = await submitConsent(first.auth.browser, html, { scopes: checkedScopes(html), remember: true });
    expect(approved.status).toBe(302);
    const again = await openAuthorize(client, { scope: "mcp:read mcp:write", browser: first.auth.browser });
    expect(again.res.status).toBe(302);
    const callback = await again.auth.browser.fetch(await entra.login(again.res.headers.get("location") ?? "", entraUser()));
    const tokens = await redeem(again.auth, callback.headers.get("location") ?? "");
    expect(tokens.body.scope).toBe("mcp:read mcp:write offline_access");
    expect(tokens.body.refresh_token).toBeTruthy();
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
