import { HttpResponse, http } from "msw";
import { beforeEach, describe, expect, it } from "vitest";
import { ENTRA, EntraMock, entraUser } from "./helpers/entra";
import { postMcp } from "./helpers/mcp";
import { mockServer } from "./helpers/msw";
import { oauthHelpers } from "./helpers/oauth";
import { refresh, registerClient, signInAndRedeem } from "./helpers/signin";

/**
 * Access ends when the organisation ends it: every refresh of pandgate's tokens first refreshes
 * at the identity provider (here the Entra stand-in, in Entra's wire format), so a disabled user
 * or revoked sessions end the grant, and an unreachable provider only delays the refresh.
 */
const toolsList = { jsonrpc: "2.0", id: 1, method: "tools/list" };
const legacy = { "mcp-protocol-version": "2025-11-25" };
let entra: EntraMock;
beforeEach(() => {
  entra = new EntraMock().install();
});

async function signedInWithRefresh() {
  const client = await registerClient();
  const user = entraUser();
  const tokens = await signInAndRedeem(entra, client, user, { scope: "mcp:read offline_access", scopes: ["offline_access"] });
  expect(tokens.status).toBe(200);
  expect(tokens.body.refresh_token).toBeTruthy();
  return { client, user, tokens: tokens.body, userKey: `entra.${user.tid}.${user.oid}` };
}

function upstreamRefreshes(): URLSearchParams[] {
  return entra.tokenRequests.filter((form) => form.get("grant_type") === "refresh_token");
}

describe("refreshing at the identity provider", () => {
  it("asks Entra for offline_access at sign-in and refreshes there on every refresh, keeping its token to itself", async () => {
    const { client, tokens } = await signedInWithRefresh();
    const authorize = entra.tokenRequests.find((form) => form.get("grant_type") === "authorization_code");
    expect(authorize).toBeDefined();
    const first = await refresh(client, tokens.refresh_token ?? "");
    expect(first.status).toBe(200);
    const second = await refresh(client, first.body.refresh_token ?? "");
    expect(second.status).toBe(200);
    const sent = upstreamRefreshes();
    expect(sent).toHaveLength(2);
    // Entra's refresh tokens rotate: the second refresh used the one the first returned.
    expect(sent[1]?.get("refresh_token")).not.toBe(sent[0]?.get("refresh_token"));
    expect(sent[0]?.get("client_secret")).toBe(entra.clientSecret);
    expect(sent[0]?.get("scope")).toContain("offline_access");
    // Entra's refresh token never reaches the client.
    for (const body of [tokens, first.body, second.body]) expect(JSON.stringify(body)).not.toContain("0.AR");
    expect((await postMcp(second.body.access_token ?? "", toolsList, legacy)).status).toBe(200);
  });

  it("ends the grant when the organisation disables the user", async () => {
    const { client, user, tokens, userKey } = await signedInWithRefresh();
    expect((await postMcp(tokens.access_token ?? "", toolsList, legacy)).status).toBe(200);
    entra.disableUser(user.oid);
    const refused = await refresh(client, tokens.refresh_token ?? "");
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("invalid_grant");
    expect(JSON.stringify(refused.body)).toContain("identity provider ended this sign-in");
    expect((await oauthHelpers().listUserGrants(userKey)).items).toHaveLength(0);
    expect((await postMcp(tokens.access_token ?? "", toolsList, legacy)).status).toBe(401);
  });

  it("ends the grant when an administrator revokes the user's sessions", async () => {
    const { client, user, tokens, userKey } = await signedInWithRefresh();
    entra.revokeSessions(user.oid);
    const refused = await refresh(client, tokens.refresh_token ?? "");
    expect(refused.body.error).toBe("invalid_grant");
    expect((await oauthHelpers().listUserGrants(userKey)).items).toHaveLength(0);
  });

  it("keeps the grant when Entra cannot be reached, and refreshes once it is back", async () => {
    const { client, tokens, userKey } = await signedInWithRefresh();
    mockServer.use(http.post(`${ENTRA}/organizations/oauth2/v2.0/token`, () => HttpResponse.error()));
    const down = await refresh(client, tokens.refresh_token ?? "");
    expect(down.status).toBe(503);
    expect(down.body.error).toBe("temporarily_unavailable");
    expect((await oauthHelpers().listUserGrants(userKey)).items).toHaveLength(1);
    mockServer.resetHandlers();
    entra.install();
    const back = await refresh(client, tokens.refresh_token ?? "");
    expect(back.status).toBe(200);
  });
});
