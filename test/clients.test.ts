import { exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { admin, createClient } from "./helpers/admin";
import { EntraMock, type EntraUser, entraUser, TENANT_A } from "./helpers/entra";
import { connectClient, LEGACY_HEADERS, postMcp } from "./helpers/mcp";
import { BASE, oauthHelpers } from "./helpers/oauth";
import { approveAndSignIn, openAuthorize, type RegisteredClient, redeem, refresh, registerClient } from "./helpers/signin";

const BLOCKBRAIN_CALLBACK = "https://integrations.test.theblockbrain.ai/api/v1/mcp-servers/cfg-123/oauth/callback";
let entra: EntraMock;
beforeEach(() => {
  entra = new EntraMock().install();
});

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
    expect(mine).toMatchObject({ name: "Blockbrain", redirectUris: [BLOCKBRAIN_CALLBACK], tenants: [] });
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

describe("a user's grants (the operator's day someone leaves)", () => {
  const toolsList = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };
  const mcpStatus = async (token: string) => (await postMcp(token, toolsList, LEGACY_HEADERS)).status;
  const grantsPath = (userKey: string) => `/admin/users/${encodeURIComponent(userKey)}/grants`;

  interface Listed {
    userKey: string;
    grants: Array<{
      grantId: string;
      clientId: string;
      clientName: string | null;
      scopes: string[];
      createdAt: string;
      expiresAt: string | null;
    }>;
  }
  async function listGrants(userKey: string): Promise<Listed> {
    const res = await admin(grantsPath(userKey));
    expect(res.status).toBe(200);
    return (await res.json()) as Listed;
  }

  /** The user signs in through a client (offline_access ticked) and the client redeems the code. */
  async function signIn(client: RegisteredClient, user: EntraUser) {
    const scope = "mcp:read offline_access";
    const { callback, auth } = await approveAndSignIn(entra, client, user, { scope, scopes: scope.split(" ") });
    expect(callback.status).toBe(302);
    const tokens = await redeem(auth, callback.headers.get("location") ?? "", client.client_secret ? "post" : "none");
    expect(tokens.status).toBe(200);
    const { access_token: access = "", refresh_token: refreshToken = "" } = tokens.body;
    expect(await mcpStatus(access)).toBe(200);
    return { client, access, refreshToken };
  }

  /** One user signed in through a pre-registered client and through a dynamically registered one. */
  async function userWithTwoGrants() {
    const user = entraUser(TENANT_A);
    const userKey = `entra.${TENANT_A}.${user.oid}`;
    const preRegistered = await signIn(await createClient({ name: "Blockbrain", redirectUris: [BLOCKBRAIN_CALLBACK] }), user);
    const dynamic = await signIn(await registerClient({ client_name: "Desktop app" }), user);
    return { user, userKey, preRegistered, dynamic };
  }

  /** A grant's tokens are dead: the access token gets 401 at /mcp, the refresh token invalid_grant. */
  async function expectDead(session: Awaited<ReturnType<typeof signIn>>) {
    expect(await mcpStatus(session.access)).toBe(401);
    const refreshed = await refresh(session.client, session.refreshToken);
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe("invalid_grant");
  }

  it("lists a user's grants with client, scopes and times, never tokens or props", async () => {
    const { userKey, preRegistered, dynamic } = await userWithTwoGrants();
    const res = await admin(grantsPath(userKey));
    expect(res.headers.get("cache-control")).toBe("no-store");
    const text = await res.text();
    const listed = JSON.parse(text) as Listed;
    expect(listed.userKey).toBe(userKey);
    // Oldest first; both were created within the same second here, so compare without order.
    expect(listed.grants.map((g) => [g.clientId, g.clientName])).toEqual(
      expect.arrayContaining([
        [preRegistered.client.client_id, "Blockbrain"],
        [dynamic.client.client_id, "Desktop app"],
      ]),
    );
    expect(listed.grants).toHaveLength(2);
    for (const grant of listed.grants) {
      expect(grant.grantId).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(grant.scopes).toEqual(["mcp:read", "offline_access"]);
      expect(Date.parse(grant.createdAt)).toBeLessThanOrEqual(Date.now());
      expect(Object.keys(grant).sort()).toEqual(["clientId", "clientName", "createdAt", "expiresAt", "grantId", "scopes"]);
    }
    for (const secret of [preRegistered.access, preRegistered.refreshToken, dynamic.access, dynamic.refreshToken]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.split(":").at(-1));
    }
    expect(text).not.toMatch(/props|Gebruiker|contoso\.example/);
  });

  it("revokes one grant: its access and refresh tokens stop working at once, the other grant goes on", async () => {
    const { userKey, preRegistered, dynamic } = await userWithTwoGrants();
    const grant = (await listGrants(userKey)).grants.find((g) => g.clientId === preRegistered.client.client_id);
    const res = await admin(`${grantsPath(userKey)}/${grant?.grantId}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ userKey, revoked: 1, grantIds: [grant?.grantId] });
    await expectDead(preRegistered);
    expect(await mcpStatus(dynamic.access)).toBe(200);
    expect((await refresh(dynamic.client, dynamic.refreshToken)).status).toBe(200);
    expect((await listGrants(userKey)).grants.map((g) => g.clientId)).toEqual([dynamic.client.client_id]);
  });

  it("revokes every grant of a user and says how many", async () => {
    const { userKey, preRegistered, dynamic } = await userWithTwoGrants();
    const res = await admin(grantsPath(userKey), { method: "DELETE" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { revoked: number; grantIds: string[] };
    expect(body.revoked).toBe(2);
    expect(body.grantIds).toHaveLength(2);
    await expectDead(preRegistered);
    await expectDead(dynamic);
    expect((await listGrants(userKey)).grants).toEqual([]);
    expect(await oauthHelpers().listUserGrants(userKey)).toMatchObject({ items: [] });
    // Nothing left: a second run revokes nothing and still succeeds.
    expect(await (await admin(grantsPath(userKey), { method: "DELETE" })).json()).toEqual({ userKey, revoked: 0, grantIds: [] });
  });

  it("takes an Entra user key as the portal writes it (upper case)", async () => {
    const { userKey, preRegistered } = await userWithTwoGrants();
    const listed = await listGrants(userKey.toUpperCase().replace("ENTRA.", "Entra."));
    expect(listed.userKey).toBe(userKey);
    expect(listed.grants).toHaveLength(2);
    expect(await mcpStatus(preRegistered.access)).toBe(200);
  });

  it("refuses malformed user keys and grant ids with a clear error, changing nothing", async () => {
    const { userKey, preRegistered, dynamic } = await userWithTwoGrants();
    for (const bad of ["anna@contoso.example", `entra.${TENANT_A}`, `entra.${TENANT_A}.not-a-guid`, "oidc.short", `${userKey}:x`, "x"]) {
      for (const method of ["GET", "DELETE"]) {
        const res = await admin(grantsPath(bad), { method });
        expect(res.status, `${method} ${bad}`).toBe(400);
        const body = (await res.json()) as { error: string; message: string };
        expect(body.error).toBe("invalid_request");
        expect(body.message).toContain(`"${bad}" is not a user key`);
        expect(body.message).toContain("entra.<tenant id>.<object id>");
      }
    }
    const badGrant = await admin(`${grantsPath(userKey)}/${encodeURIComponent("a:b")}`, { method: "DELETE" });
    expect(badGrant.status).toBe(400);
    expect(((await badGrant.json()) as { message: string }).message).toContain('"a:b" is not a grant id');
    expect((await listGrants(userKey)).grants).toHaveLength(2);
    expect(await mcpStatus(preRegistered.access)).toBe(200);
    expect(await mcpStatus(dynamic.access)).toBe(200);
  });

  it("answers 404 for an unknown grant and for another user's grant, which keeps working", async () => {
    const alice = await userWithTwoGrants();
    const bob = await userWithTwoGrants();
    const [bobsGrant] = (await listGrants(bob.userKey)).grants;
    for (const grantId of ["NoSuchGrant12345", bobsGrant?.grantId]) {
      const res = await admin(`${grantsPath(alice.userKey)}/${grantId}`, { method: "DELETE" });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { message: string }).message).toBe(
        `User ${alice.userKey} has no grant ${grantId}; list their grants to see theirs.`,
      );
    }
    expect((await listGrants(alice.userKey)).grants).toHaveLength(2);
    expect((await listGrants(bob.userKey)).grants).toHaveLength(2);
    expect(await mcpStatus(bob.preRegistered.access)).toBe(200);
    expect(await mcpStatus(alice.preRegistered.access)).toBe(200);
  });

  it("lists no grants for a user who has none", async () => {
    const nobody = `entra.${TENANT_A}.${crypto.randomUUID()}`;
    expect(await listGrants(nobody)).toEqual({ userKey: nobody, grants: [] });
  });
});
