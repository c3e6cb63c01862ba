/// <reference types="node" />
// Access that ends when the organisation ends it, end to end: the Worker under `wrangler dev`
// refreshes at the dev IdP on every refresh of its own, so disabling a user at the IdP (what
// `curl -X POST …/admin/users/<name>/disable` does while `npm run dev` runs) ends the app's grant.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizationRequest, BRAM, freePort, redeemCode, registerPublicClient, type Stack, signIn, startStack } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function refresh(clientId: string, refreshToken: string) {
  const res = await fetch(`${stack.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId, resource: stack.mcpUrl }),
  });
  return { status: res.status, body: (await res.json()) as { refresh_token?: string; error?: string } };
}

describe("a user disabled at the identity provider", () => {
  it("loses access at the next refresh, and the IdP's admin route says so", async () => {
    const redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
    const client = await registerPublicClient(stack.url, { client_name: "pandgate e2e (upstream refresh)", redirect_uris: [redirectUri] });
    const request = authorizationRequest(`${stack.url}/authorize`, {
      clientId: client.client_id,
      redirectUri,
      scope: "mcp:read offline_access",
      resource: stack.mcpUrl,
    });
    const { clientRedirect } = await signIn(request.url, BRAM, { scopes: ["offline_access"] });
    const tokens = await redeemCode(`${stack.url}/oauth/token`, request, clientRedirect.searchParams.get("code") ?? "");
    expect(tokens.status).toBe(200);
    const first = await refresh(client.client_id, tokens.body.refresh_token ?? "");
    expect(first.status).toBe(200);

    const disabled = await fetch(`${stack.idp.origin}/admin/users/${encodeURIComponent(BRAM.username)}/disable`, { method: "POST" });
    expect(await disabled.json()).toEqual({ username: BRAM.username, disabled: true });
    const refused = await refresh(client.client_id, first.body.refresh_token ?? "");
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("invalid_grant");
    // The grant is gone: enabling the user again does not bring this sign-in back.
    stack.idp.enableUser(BRAM.username);
    expect((await refresh(client.client_id, first.body.refresh_token ?? "")).body.error).toBe("invalid_grant");
  });
});
