import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { EntraMock, entraUser, TENANT_A } from "./helpers/entra";
import { connectClient } from "./helpers/mcp";
import { BASE } from "./helpers/oauth";
import { approveAndSignIn, openAuthorize, type RegisteredClient, redeem, refresh } from "./helpers/signin";

const BLOCKBRAIN_CALLBACK = "https://integrations.test.theblockbrain.ai/api/v1/mcp-servers/cfg-123/oauth/callback";
let entra: EntraMock;
beforeEach(() => {
  entra = new EntraMock().install();
});

function admin(path: string, init: RequestInit = {}, secret = env.OPERATOR_SECRET): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${secret}`);
  return exports.default.fetch(`${BASE}${path}`, { ...init, headers });
}

async function createClient(body: Record<string, unknown>): Promise<RegisteredClient & { clientSecret: string }> {
  const res = await admin("/admin/clients", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  const created = (await res.json()) as { clientId: string; clientSecret: string; redirectUris: string[]; name: string };
  return {
    client_id: created.clientId,
    client_secret: created.clientSecret,
    clientSecret: created.clientSecret,
    redirect_uris: created.redirectUris,
  };
}

/** Consent (everything asked for ticked) and Entra sign-in for a client; returns what the client needs to redeem the code. */
async function authorize(client: RegisteredClient, scope: string) {
  const { callback, auth } = await approveAndSignIn(entra, client, entraUser(TENANT_A), { scope, scopes: scope.split(" ") });
  expect(callback.status).toBe(302);
  return { auth, location: callback.headers.get("location") ?? "" };
}

describe("the operator API", () => {
  it("refuses requests without the operator secret", async () => {
    expect((await exports.default.fetch(`${BASE}/admin/clients`)).status).toBe(401);
    expect((await admin("/admin/clients", {}, "wrong-secret-wrong-secret-wrong-secret")).status).toBe(401);
  });

  it("creates a confidential client, shows its secret once, lists it without the secret and deletes it", async () => {
    const created = await createClient({ name: "Blockbrain", redirectUris: [BLOCKBRAIN_CALLBACK] });
    expect(created.clientSecret.length).toBeGreaterThanOrEqual(32);
    const listed = (await (await admin("/admin/clients")).json()) as { clients: Array<Record<string, unknown>> };
    const mine = listed.clients.find((c) => c.clientId === created.client_id);
    expect(mine).toMatchObject({ name: "Blockbrain", redirectUris: [BLOCKBRAIN_CALLBACK] });
    expect(JSON.stringify(listed)).not.toContain(created.clientSecret);

    expect((await admin(`/admin/clients/${created.client_id}`, { method: "DELETE" })).status).toBe(204);
    expect((await admin(`/admin/clients/${created.client_id}`, { method: "DELETE" })).status).toBe(404);
    const { res } = await openAuthorize(created);
    expect(res.status).toBe(400);
  });

  it("rejects malformed client requests with a specific message", async () => {
    const bad = await admin("/admin/clients", { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":""}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain("redirectUris");
    const http = await admin("/admin/clients", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x", redirectUris: ["http://example.com/cb"] }),
    });
    expect(http.status).toBe(400);
  });
});

describe("pre-registered confidential clients (Blockbrain's path)", () => {
  it.each([
    ["client_secret_post", "post"],
    ["client_secret_basic", "basic"],
  ] as const)("signs in and redeems the code with %s", async (_method, how) => {
    const client = await createClient({ name: "Blockbrain", redirectUris: [BLOCKBRAIN_CALLBACK] });
    const { auth, location } = await authorize(client, "mcp:read");
    const tokens = await redeem(auth, location, how);
    expect(tokens.status).toBe(200);
    const mcp = await connectClient(tokens.body.access_token ?? "");
    const info = (await mcp.callTool({ name: "Get_Server_Info", arguments: {} })).structuredContent as { clientId: string };
    expect(info.clientId).toBe(client.client_id);
    await mcp.close();
  });

  it("refuses a wrong client secret and a client that only allows the other method", async () => {
    const client = await createClient({ name: "Strict", redirectUris: [BLOCKBRAIN_CALLBACK], authMethod: "client_secret_post" });
    const first = await authorize(client, "mcp:read");
    const wrong = await redeem({ ...first.auth, client: { ...client, client_secret: "not-the-secret" } }, first.location, "post");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe("invalid_client");
    const second = await authorize(client, "mcp:read");
    expect((await redeem(second.auth, second.location, "basic")).status).toBe(401);
  });

  it("rotates refresh tokens, and the newest one keeps working", async () => {
    const client = await createClient({ name: "Rotating", redirectUris: [BLOCKBRAIN_CALLBACK] });
    const { auth, location } = await authorize(client, "mcp:read offline_access");
    const first = await redeem(auth, location, "post");
    expect(first.body.refresh_token).toBeTruthy();
    const second = await refresh(client, first.body.refresh_token ?? "");
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).toBeTruthy();
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    const mcp = await connectClient(second.body.access_token ?? "");
    expect((await mcp.listTools()).tools.length).toBeGreaterThan(0);
    await mcp.close();
    const third = await refresh(client, second.body.refresh_token ?? "");
    expect(third.status).toBe(200);
    // once the rotated token has been used, the one before it is dead
    expect((await refresh(client, first.body.refresh_token ?? "")).status).toBe(400);
  });
});
