import { env, exports } from "cloudflare:workers";
import { HttpResponse, http } from "msw";
import { beforeEach, describe, expect, it } from "vitest";
import type { AuditEvent } from "../src/audit/events";
import { createClient } from "./helpers/admin";
import { allAuditText, auditEvents, waitForAudit } from "./helpers/audit";
import { Browser } from "./helpers/browser";
import { ENTRA, EntraMock, type EntraUser, entraUser, TENANT_A, TENANT_B, TENANT_OTHER } from "./helpers/entra";
import { mockServer } from "./helpers/msw";
import { BASE, MCP_URL } from "./helpers/oauth";
import {
  approveAndSignIn,
  CLIENT_REDIRECT,
  openAuthorize,
  type RegisteredClient,
  redeem,
  refresh,
  registerClient,
  rememberApp,
  signInAndRedeem,
  submitConsent,
} from "./helpers/signin";

/**
 * The audit trail of the OAuth side, through the real Worker, queue and D1: consent decisions,
 * sign-in failures with their reason, token issue, refresh, refusal, revocation and reuse,
 * client registration and rate limits. Each test uses its own client (and user), and reads the
 * events of that client only.
 */

let entra: EntraMock;
beforeEach(() => {
  entra = new EntraMock().install();
});

const userKey = (user: EntraUser) => `entra.${user.tid}.${user.oid}`;

/** The events of one client, oldest first, once `until` holds. */
async function eventsOf(clientId: string, until: (events: AuditEvent[]) => boolean): Promise<AuditEvent[]> {
  const events = await waitForAudit({}, (all) => until(all.filter((e) => e.clientId === clientId)));
  return events.filter((e) => e.clientId === clientId).reverse();
}

const kinds = (events: AuditEvent[]) => events.map((e) => e.kind);
const has =
  (...wanted: string[]) =>
  (events: AuditEvent[]) =>
    wanted.every((kind) => events.some((e) => e.kind === kind));

function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(`${BASE}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form),
  });
}

describe("consent and sign-in", () => {
  it("records the grant (consent given), the token issue and each refresh, with user, tenant, client and scopes", async () => {
    const client = await registerClient();
    const user = entraUser(TENANT_A);
    const tokens = await signInAndRedeem(entra, client, user, { scope: "mcp:read offline_access", scopes: ["offline_access"] });
    expect(tokens.status).toBe(200);
    const refreshed = await refresh(client, tokens.body.refresh_token ?? "");
    expect(refreshed.status).toBe(200);

    const events = await eventsOf(client.client_id, has("client.registered", "authorization.allowed", "token.issued", "token.refreshed"));
    expect(kinds(events)).toEqual(["client.registered", "authorization.allowed", "token.issued", "token.refreshed"]);
    const [registered, allowed, issued, refreshedEvent] = events;
    expect(registered).toMatchObject({
      outcome: "success",
      actor: "client",
      details: { clientName: "Test MCP Client", redirectHosts: ["client.example.org"] },
    });
    expect(allowed).toMatchObject({
      outcome: "success",
      actor: "user",
      userKey: userKey(user),
      tenantId: TENANT_A,
      details: { consent: "given", scopes: ["mcp:read", "offline_access"] },
    });
    const grantId = issued?.details.grantId;
    expect(grantId).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(issued).toMatchObject({
      outcome: "success",
      actor: "client",
      userKey: userKey(user),
      tenantId: TENANT_A,
      details: { grantType: "authorization_code", refreshToken: true, scopes: ["mcp:read", "offline_access"] },
    });
    expect(refreshedEvent).toMatchObject({ outcome: "success", userKey: userKey(user), details: { grantId, grantType: "refresh_token" } });

    // Nothing secret was written: not the tokens, not the code, not the identity provider's secrets.
    const text = await allAuditText();
    for (const secret of [tokens.body.access_token, tokens.body.refresh_token, refreshed.body.refresh_token, refreshed.body.access_token]) {
      expect(secret).toBeTruthy();
      expect(text).not.toContain(secret);
      expect(text).not.toContain((secret ?? "").split(":")[2]);
    }
    expect(text).not.toContain(entra.clientSecret);
    expect(text).not.toContain(env.COOKIE_SECRET);
  });

  it("records a remembered consent as such", async () => {
    const client = await registerClient();
    const browser = await rememberApp(client);
    const user = entraUser(TENANT_B);
    const { res, auth } = await openAuthorize(client, { browser });
    expect(res.status).toBe(302);
    const callback = await browser.fetch(await entra.login(res.headers.get("location") ?? "", user));
    expect((await redeem(auth, callback.headers.get("location") ?? "")).status).toBe(200);
    const events = await eventsOf(client.client_id, has("authorization.allowed", "token.issued"));
    const allowed = events.find((e) => e.kind === "authorization.allowed");
    expect(allowed).toMatchObject({ userKey: userKey(user), tenantId: TENANT_B, details: { consent: "remembered" } });
  });

  it("records a person declining on the consent page", async () => {
    const client = await registerClient();
    const { res, auth } = await openAuthorize(client, { scope: "mcp:read mcp:write" });
    const denied = await submitConsent(auth.browser, await res.text(), { decision: "deny" });
    expect(new URL(denied.headers.get("location") ?? "").searchParams.get("error")).toBe("access_denied");
    const [event] = (await eventsOf(client.client_id, has("authorization.denied"))).filter((e) => e.kind === "authorization.denied");
    expect(event).toMatchObject({
      outcome: "denied",
      reason: "user_declined",
      actor: "user",
      details: { scopes: ["mcp:read", "mcp:write"] },
    });
    expect(event?.userKey).toBeUndefined();
  });

  it("records refused sign-ins with their reason: a tenant the server does not allow, and one the client is not bound to", async () => {
    const stranger = entraUser(TENANT_OTHER);
    const open = await registerClient();
    const first = await approveAndSignIn(entra, open, stranger);
    expect(first.callback.status).toBe(403);
    const bound = await createClient({ name: "Blockbrain (Contoso)", redirectUris: [CLIENT_REDIRECT], tenants: [TENANT_A] });
    const other = entraUser(TENANT_B);
    const second = await approveAndSignIn(entra, bound, other);
    expect(second.callback.status).toBe(403);

    const [notAllowed] = (await eventsOf(open.client_id, has("signin.failed"))).filter((e) => e.kind === "signin.failed");
    expect(notAllowed).toMatchObject({
      outcome: "denied",
      reason: "tenant_not_allowed",
      tenantId: TENANT_OTHER,
      userKey: userKey(stranger),
    });
    const [notBound] = (await eventsOf(bound.client_id, has("signin.failed"))).filter((e) => e.kind === "signin.failed");
    expect(notBound).toMatchObject({ outcome: "denied", reason: "client_tenant_not_allowed", tenantId: TENANT_B, userKey: userKey(other) });
    // Neither got as far as a grant.
    expect((await auditEvents({ userKey: userKey(other), kind: "authorization" })).length).toBe(0);
  });

  it("records a sign-in the identity provider could not complete, and a forged callback", async () => {
    const client = await registerClient();
    mockServer.use(http.post(`${ENTRA}/organizations/oauth2/v2.0/token`, () => HttpResponse.error()));
    const { callback } = await approveAndSignIn(entra, client, entraUser());
    expect(new URL(callback.headers.get("location") ?? "").searchParams.get("error")).toBe("temporarily_unavailable");
    const [down] = (await eventsOf(client.client_id, has("signin.failed"))).filter((e) => e.kind === "signin.failed");
    expect(down).toMatchObject({ outcome: "failure", reason: "idp_unavailable" });

    const address = "2001:db8:a0d1::7";
    const forged = await new Browser().fetch(`${BASE}/oauth/callback?code=abc&state=made-up-state`, {
      headers: { "cf-connecting-ip": address },
    });
    expect(forged.status).toBe(400);
    const events = await waitForAudit({ kind: "signin.failed" }, (all) => all.some((e) => e.details.ip === address));
    expect(events.find((e) => e.details.ip === address)).toMatchObject({ outcome: "error", reason: "callback_state_invalid" });
  });

  it("records authorization requests refused before consent (tampered parameters)", async () => {
    const client = await registerClient();
    const { res } = await openAuthorize(client, { redirectUri: "https://evil.example.net/cb" });
    expect(res.status).toBe(400);
    const [rejected] = (await eventsOf(client.client_id, has("authorization.rejected"))).filter((e) => e.kind === "authorization.rejected");
    expect(rejected).toMatchObject({ outcome: "error", actor: "user", reason: "invalid_request" });
  });
});

describe("the token endpoint", () => {
  async function signedIn(user = entraUser()) {
    const client = await registerClient();
    const tokens = await signInAndRedeem(entra, client, user, { scope: "mcp:read offline_access", scopes: ["offline_access"] });
    expect(tokens.status).toBe(200);
    return { client, user, refreshToken: tokens.body.refresh_token ?? "", accessToken: tokens.body.access_token ?? "" };
  }

  it("records the identity provider ending the sign-in at refresh, once, and keeps a provider outage apart", async () => {
    const { client, user, refreshToken } = await signedIn();
    mockServer.use(http.post(`${ENTRA}/organizations/oauth2/v2.0/token`, () => HttpResponse.error()));
    expect((await refresh(client, refreshToken)).status).toBe(503);
    mockServer.resetHandlers();
    entra.install();
    entra.disableUser(user.oid);
    expect((await refresh(client, refreshToken)).body.error).toBe("invalid_grant");

    const events = await eventsOf(client.client_id, (all) => all.filter((e) => e.kind === "token.refresh_failed").length === 2);
    const failed = events.filter((e) => e.kind === "token.refresh_failed");
    expect(failed.map((e) => [e.outcome, e.reason])).toEqual([
      ["failure", "upstream_unavailable"],
      ["denied", "upstream_invalid_grant"],
    ]);
    expect(failed[1]).toMatchObject({ userKey: userKey(user), tenantId: user.tid });
    // One event per request: the endpoint did not also record these refusals as token.rejected.
    expect(kinds(events)).not.toContain("token.rejected");
  });

  it("records refresh-token reuse with the grant it revoked", async () => {
    const { client, user, refreshToken } = await signedIn();
    const second = await refresh(client, refreshToken);
    expect((await refresh(client, second.body.refresh_token ?? "")).status).toBe(200);
    expect((await refresh(client, refreshToken)).body.error).toBe("invalid_grant");
    const events = await eventsOf(client.client_id, has("token.reuse_detected"));
    const reuse = events.find((e) => e.kind === "token.reuse_detected");
    const issued = events.find((e) => e.kind === "token.issued");
    expect(reuse).toMatchObject({
      outcome: "denied",
      reason: "refresh_token_reuse",
      userKey: userKey(user),
      tenantId: user.tid,
      details: { grantId: issued?.details.grantId },
    });
    expect(kinds(events).filter((kind) => kind === "token.rejected")).toEqual([]);
  });

  it("records a revocation (RFC 7009) of a grant's token", async () => {
    const { client, user, refreshToken } = await signedIn();
    const res = await tokenRequest({ token: refreshToken, token_type_hint: "refresh_token", client_id: client.client_id });
    expect(res.status).toBe(200);
    const [revoked] = (await eventsOf(client.client_id, has("token.revoked"))).filter((e) => e.kind === "token.revoked");
    expect(revoked).toMatchObject({ outcome: "success", userKey: userKey(user), tenantId: user.tid });
  });

  it("records refused token requests with the OAuth error as the reason, and no token", async () => {
    const client = await registerClient();
    const guessed = `${userKey(entraUser())}:nogrant:${crypto.randomUUID()}`;
    expect((await tokenRequest({ grant_type: "refresh_token", refresh_token: guessed, client_id: client.client_id })).status).toBe(400);
    expect((await tokenRequest({ grant_type: "password", username: "u", password: "hunter2", client_id: client.client_id })).status).toBe(
      400,
    );
    expect(
      (
        await tokenRequest({
          grant_type: "authorization_code",
          code: "made-up",
          redirect_uri: CLIENT_REDIRECT,
          code_verifier: "v".repeat(43),
          client_id: client.client_id,
          resource: MCP_URL,
        })
      ).status,
    ).toBe(400);
    const events = await eventsOf(client.client_id, (all) => all.filter((e) => e.kind === "token.rejected").length === 3);
    expect(events.filter((e) => e.kind === "token.rejected").map((e) => [e.outcome, e.reason, e.details.grantType])).toEqual([
      ["denied", "invalid_grant", "refresh_token"],
      ["error", "unsupported_grant_type", "password"],
      ["denied", "invalid_grant", "authorization_code"],
    ]);
    const text = await allAuditText();
    expect(text).not.toContain(guessed.split(":")[2]);
    expect(text).not.toContain("hunter2");
  });
});

describe("client registration", () => {
  it("records a refused registration with its error and no client", async () => {
    const address = "2001:db8:7e9::1";
    const res = await exports.default.fetch(`${BASE}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": address },
      body: JSON.stringify({ client_name: "Bad", redirect_uris: ["http://remote.example.com/cb"] }),
    });
    expect(res.status).toBe(400);
    const events = await waitForAudit({ kind: "client.registration_rejected" }, (all) => all.some((e) => e.details.ip === address));
    const rejected = events.find((e) => e.details.ip === address);
    expect(rejected).toMatchObject({ outcome: "error", reason: "invalid_client_metadata" });
    expect(rejected?.clientId).toBeUndefined();
  });

  it("keeps only the redirect hosts of a registered client, never their paths or queries", async () => {
    const client: RegisteredClient = await registerClient({
      redirect_uris: ["https://app.example.org/cb?session=abc123", "http://127.0.0.1:33418/callback"],
    });
    const [registered] = await eventsOf(client.client_id, has("client.registered"));
    expect(registered?.details.redirectHosts).toEqual(["app.example.org", "127.0.0.1:33418"]);
    expect(await allAuditText()).not.toContain("abc123");
  });
});
