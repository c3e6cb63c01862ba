import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Browser, hiddenField } from "./helpers/browser";
import { ENTRA, EntraMock, entraUser, TENANT_A, TENANT_B, TENANT_OTHER } from "./helpers/entra";
import { connectClient } from "./helpers/mcp";
import { BASE, oauthHelpers } from "./helpers/oauth";
import { approveAndSignIn, CLIENT_REDIRECT, openAuthorize, redeem, registerClient, rememberApp, submitConsent } from "./helpers/signin";

let entra: EntraMock;
beforeEach(() => {
  entra = new EntraMock().install();
});
afterEach(() => vi.useRealTimers());

async function grantsOf(userKey: string): Promise<number> {
  return (await oauthHelpers().listUserGrants(userKey)).items.length;
}

describe("sign-in through Entra ID (multi-tenant)", () => {
  it("goes from consent to Entra to a pandgate token that shows the signed-in user", async () => {
    const client = await registerClient();
    const user = entraUser(TENANT_A, { name: "Anna de Vries", roles: ["Admin"] });
    const { callback, auth, upstreamUrl } = await approveAndSignIn(entra, client, user, {
      scope: "mcp:read mcp:write",
      scopes: ["mcp:write"],
    });

    // the identity provider leg: our own PKCE and nonce, query response mode, no `resource`, sign-in scopes only
    const upstream = new URL(upstreamUrl);
    expect(`${upstream.origin}${upstream.pathname}`).toBe(`${ENTRA}/organizations/oauth2/v2.0/authorize`);
    expect(upstream.searchParams.has("resource")).toBe(false);
    expect(upstream.searchParams.get("scope")).toBe("openid profile email offline_access");
    expect(upstream.searchParams.get("code_challenge_method")).toBe("S256");
    expect(upstream.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(upstream.searchParams.get("nonce")).toBeTruthy();
    expect(upstream.searchParams.get("response_mode")).toBe("query");
    expect(upstream.searchParams.get("redirect_uri")).toBe(`${BASE}/oauth/callback`);
    expect(upstream.searchParams.get("prompt")).toBe("select_account");

    // the code exchange used client_secret_post and our verifier
    expect(callback.status).toBe(302);
    const tokenRequest = entra.tokenRequests.at(-1);
    expect(tokenRequest?.get("client_secret")).toBe(env.IDP_CLIENT_SECRET);
    expect(tokenRequest?.get("code_verifier")).toBeTruthy();
    expect(tokenRequest?.has("resource")).toBe(false);

    const location = callback.headers.get("location") ?? "";
    expect(location.startsWith(CLIENT_REDIRECT)).toBe(true);
    const tokens = await redeem(auth, location);
    expect(tokens.status).toBe(200);
    expect(tokens.body.scope).toBe("mcp:read mcp:write");

    const mcp = await connectClient(tokens.body.access_token ?? "");
    const info = (await mcp.callTool({ name: "Get_Server_Info", arguments: {} })).structuredContent as {
      user: { userKey: string; tenantId: string; displayName: string; roles: string[]; identityProvider: string };
      scopes: string[];
    };
    expect(info.user).toEqual({
      userKey: `entra.${TENANT_A}.${user.oid}`,
      tenantId: TENANT_A,
      displayName: "Anna de Vries",
      roles: ["Admin"],
      identityProvider: "entra",
    });
    expect(info.scopes).toEqual(["mcp:read", "mcp:write"]);
    await mcp.close();
  });

  it("signs in a user of the second allowed tenant under a key of tenant and object id", async () => {
    const user = entraUser(TENANT_B);
    const { callback } = await approveAndSignIn(entra, await registerClient(), user);
    expect(callback.status).toBe(302);
    expect(await grantsOf(`entra.${TENANT_B}.${user.oid}`)).toBe(1);
  });
});

describe("id_token checks fail closed", () => {
  const cases: Array<[string, (user: ReturnType<typeof entraUser>) => Parameters<EntraMock["login"]>[2], RegExp, number]> = [
    ["a bad signature", () => ({ forgeSignature: true }), /signature could not be verified/, 400],
    ["the wrong issuer", () => ({ claims: { iss: `${ENTRA}/${TENANT_B}/v2.0` } }), /does not trust \(issuer\)/, 400],
    ["a non-GUID tenant", () => ({ claims: { tid: "contoso.onmicrosoft.com" } }), /valid tenant \(tid\)/, 400],
    [
      "another application's audience",
      () => ({ claims: { aud: "00000003-0000-0000-c000-000000000000" } }),
      /different application \(audience\)/,
      400,
    ],
    [
      "an expired token",
      () => ({ claims: { exp: Math.floor(Date.now() / 1000) - 600, iat: Math.floor(Date.now() / 1000) - 4200 } }),
      /expired/,
      400,
    ],
    ["a token not valid yet", () => ({ claims: { nbf: Math.floor(Date.now() / 1000) + 600 } }), /not valid yet/, 400],
    ["a nonce mismatch", () => ({ claims: { nonce: "someone-elses-nonce" } }), /nonce mismatch/, 400],
    ["a missing oid", () => ({ claims: { oid: undefined } }), /object id \(oid\)/, 400],
  ];

  it.each(cases)("refuses %s with a clear page and stores nothing", async (_name, tweak, message, status) => {
    const user = entraUser(TENANT_A);
    const { callback } = await approveAndSignIn(entra, await registerClient(), user, { tweaks: tweak(user) });
    expect(callback.status).toBe(status);
    expect(callback.headers.get("location")).toBeNull();
    const html = await callback.text();
    expect(html).toContain("Sign-in refused");
    expect(html).toMatch(message);
    expect(html).toContain("error=access_denied");
    expect(await grantsOf(`entra.${TENANT_A}.${user.oid}`)).toBe(0);
  });

  it("refuses a user of a tenant that is not allowed", async () => {
    const user = entraUser(TENANT_OTHER);
    const { callback } = await approveAndSignIn(entra, await registerClient(), user);
    expect(callback.status).toBe(403);
    expect(await callback.text()).toContain(`tenant ${TENANT_OTHER}) is not allowed`);
    expect(await grantsOf(`entra.${TENANT_OTHER}.${user.oid}`)).toBe(0);
  });
});

describe("the consent step", () => {
  it("shows the client, the redirect host and the scopes, escaped and unframeable", async () => {
    const client = await registerClient({ client_name: '<img src=x onerror="alert(1)">Evil' });
    const { res } = await openAuthorize(client, { scope: "mcp:read mcp:write" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;img src=x");
    expect(html).toContain("client.example.org");
    expect(html).toContain("its name is not verified");
    expect(html).toMatch(/value="mcp:write"\s+checked/);
    expect(html).not.toContain("an app on your own computer");
  });

  it("warns when access goes to a loopback redirect", async () => {
    const client = await registerClient({ redirect_uris: ["http://127.0.0.1:33418/callback"] });
    const { res } = await openAuthorize(client);
    expect(await res.text()).toContain("an app on your own computer");
  });

  it("renders an unregistered redirect URI locally and never redirects", async () => {
    const client = await registerClient();
    const { res } = await openAuthorize(client, { redirectUri: "https://attacker.example.net/steal" });
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    expect(await res.text()).toContain("cannot be used");
  });

  it("sends Deny back to the client as access_denied with iss", async () => {
    const { res, auth } = await openAuthorize(await registerClient());
    const denied = await submitConsent(auth.browser, await res.text(), { decision: "deny" });
    expect(denied.status).toBe(302);
    const back = new URL(denied.headers.get("location") ?? "");
    expect(`${back.origin}${back.pathname}`).toBe(CLIENT_REDIRECT);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("iss")).toBe(BASE);
    expect(back.searchParams.get("state")).toBe(auth.state);
  });

  it("refuses a consent POST without the browser's binding cookie", async () => {
    const { res } = await openAuthorize(await registerClient());
    const html = await res.text();
    const stranger = await submitConsent(new Browser(), html);
    expect(stranger.status).toBe(400);
    expect(stranger.headers.get("location")).toBeNull();
  });

  it("refuses a replayed consent handle", async () => {
    const { res, auth } = await openAuthorize(await registerClient());
    const html = await res.text();
    const copy = auth.browser.clone();
    expect((await submitConsent(auth.browser, html)).status).toBe(302);
    const replay = await submitConsent(copy, html, { handle: hiddenField(html, "handle") });
    expect(replay.status).toBe(400);
  });

  it("refuses an expired consent handle", async () => {
    const { res, auth } = await openAuthorize(await registerClient());
    const html = await res.text();
    // The handle's record lives in KV under its SHA-256 with a ten-minute TTL. workerd's KV clock
    // cannot be advanced from a test, so remove the record exactly as expiry would.
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(hiddenField(html, "handle"))));
    const key = `transaction:${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
    expect(await env.OAUTH_KV.get(key)).not.toBeNull();
    await env.OAUTH_KV.delete(key);
    const late = await submitConsent(auth.browser, html);
    expect(late.status).toBe(400);
    expect(await late.text()).toContain("cannot be used");
  });

  it("remembers an approved app on this browser when asked, and asks again for more scopes", async () => {
    const client = await registerClient();
    const browser = await rememberApp(client);
    const again = await openAuthorize(client, { browser });
    expect(again.res.status).toBe(302);
    expect(again.res.headers.get("location")).toContain(`${ENTRA}/organizations/oauth2/v2.0/authorize`);
    const more = await openAuthorize(client, { browser, scope: "mcp:read mcp:write" });
    expect(more.res.status).toBe(200);
  });
});

describe("signing keys", () => {
  it("accepts a rolled key after the refetch cooldown and not before", async () => {
    const client = await registerClient();
    // a first sign-in loads tenant B's key set
    expect((await approveAndSignIn(entra, client, entraUser(TENANT_B))).callback.status).toBe(302);
    await entra.rotate(TENANT_B);
    const early = await approveAndSignIn(entra, client, entraUser(TENANT_B));
    expect(early.callback.status).toBe(400);
    expect(await early.callback.text()).toMatch(/signature could not be verified/);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 6 * 60 * 1000);
    const later = await approveAndSignIn(entra, client, entraUser(TENANT_B));
    expect(later.callback.status).toBe(302);
  });
});

describe("the callback", () => {
  it("refuses a replayed state", async () => {
    const client = await registerClient();
    const { res, auth } = await openAuthorize(client);
    const approved = await submitConsent(auth.browser, await res.text());
    const callbackUrl = await entra.login(approved.headers.get("location") ?? "", entraUser());
    const copy = auth.browser.clone();
    expect((await auth.browser.fetch(callbackUrl)).status).toBe(302);
    const replay = await copy.fetch(callbackUrl);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("cannot be used");
  });

  it("refuses a callback opened in another browser", async () => {
    const { res, auth } = await openAuthorize(await registerClient());
    const approved = await submitConsent(auth.browser, await res.text());
    const callbackUrl = await entra.login(approved.headers.get("location") ?? "", entraUser());
    const other = await new Browser().fetch(callbackUrl);
    expect(other.status).toBe(400);
    expect(other.headers.get("location")).toBeNull();
  });

  it("sends an error from the identity provider back to the client as access_denied with iss", async () => {
    const { res, auth } = await openAuthorize(await registerClient());
    const approved = await submitConsent(auth.browser, await res.text());
    const state = new URL(approved.headers.get("location") ?? "").searchParams.get("state") ?? "";
    const cb = await auth.browser.fetch(
      `${BASE}/oauth/callback?error=access_denied&error_description=AADSTS65004%3A+User+declined&state=${encodeURIComponent(state)}`,
    );
    expect(cb.status).toBe(302);
    const back = new URL(cb.headers.get("location") ?? "");
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("iss")).toBe(BASE);
    expect(back.searchParams.get("state")).toBe(auth.state);
  });
});
