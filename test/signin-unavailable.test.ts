import { env } from "cloudflare:workers";
import { delay, HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { ENTRA, EntraMock, entraUser } from "./helpers/entra";
import { mockServer } from "./helpers/msw";
import { BASE } from "./helpers/oauth";
import { openAuthorize, registerClient, submitConsent } from "./helpers/signin";

/**
 * The identity provider is down or erroring. The client was already validated, so it gets the
 * standard OAuth error redirect (RFC 6749 §4.1.2.1) with its state and iss, and nothing is stored.
 * This file keeps its own isolate: the discovery document is cached once it has been read, so the
 * discovery failures run before anything succeeds.
 */
const DISCOVERY = `${ENTRA}/organizations/v2.0/.well-known/openid-configuration`;

async function grantCount(): Promise<number> {
  return (await env.OAUTH_KV.list({ prefix: "grant:" })).keys.length;
}

async function approve() {
  const client = await registerClient();
  const { res, auth } = await openAuthorize(client, { scope: "mcp:read mcp:write" });
  expect(res.status).toBe(200);
  const approved = await submitConsent(auth.browser, await res.text(), { scopes: ["mcp:write"], remember: true });
  return { approved, auth };
}

function expectUnavailable(res: Response, auth: { state: string; redirectUri: string }) {
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get("location") ?? "");
  expect(`${back.origin}${back.pathname}`).toBe(auth.redirectUri);
  expect(back.searchParams.get("error")).toBe("temporarily_unavailable");
  expect(back.searchParams.get("error_description")).toContain("try again");
  expect(back.searchParams.get("state")).toBe(auth.state);
  expect(back.searchParams.get("iss")).toBe(BASE);
  // No "remember this app" cookie from a sign-in that never happened.
  expect(res.headers.getSetCookie().some((cookie) => cookie.includes("approvals") && !/max-age=0/i.test(cookie))).toBe(false);
}

describe("the identity provider is unreachable", () => {
  it("connection refused at discovery: the client gets temporarily_unavailable", async () => {
    mockServer.use(http.get(DISCOVERY, () => HttpResponse.error()));
    const before = await grantCount();
    const { approved, auth } = await approve();
    expectUnavailable(approved, auth);
    expect(await grantCount()).toBe(before);
  });

  it("no answer at discovery: after the timeout the client gets temporarily_unavailable", async () => {
    mockServer.use(
      http.get(DISCOVERY, async () => {
        await delay("infinite");
        return HttpResponse.json({});
      }),
    );
    const { approved, auth } = await approve();
    expectUnavailable(approved, auth);
  });

  it("a 5xx discovery answer: the client gets temporarily_unavailable", async () => {
    mockServer.use(http.get(DISCOVERY, () => new HttpResponse("<html>Service Unavailable</html>", { status: 503 })));
    const { approved, auth } = await approve();
    expectUnavailable(approved, auth);
  });

  it("connection refused at the token endpoint after sign-in: temporarily_unavailable, no grant", async () => {
    const entra = new EntraMock().install();
    mockServer.use(http.post(`${ENTRA}/organizations/oauth2/v2.0/token`, () => HttpResponse.error()));
    const before = await grantCount();
    const { approved, auth } = await approve();
    const callback = await auth.browser.fetch(await entra.login(approved.headers.get("location") ?? "", entraUser()));
    expectUnavailable(callback, auth);
    expect(await grantCount()).toBe(before);
  });

  it("the identity provider reports its own outage at the callback: temporarily_unavailable", async () => {
    new EntraMock().install();
    const { approved, auth } = await approve();
    const state = new URL(approved.headers.get("location") ?? "").searchParams.get("state") ?? "";
    const callback = await auth.browser.fetch(
      `${BASE}/oauth/callback?error=temporarily_unavailable&error_description=AADSTS90033&state=${encodeURIComponent(state)}`,
    );
    expectUnavailable(callback, auth);
  });
});
