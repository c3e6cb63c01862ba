import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { admin, createClient, listedClient, postClient } from "./helpers/admin";
import { EntraMock, type EntraUser, entraUser, TENANT_A, TENANT_B, TENANT_OTHER } from "./helpers/entra";
import { connectClient } from "./helpers/mcp";
import { oauthHelpers } from "./helpers/oauth";
import { approveAndSignIn, type RegisteredClient, redeem, registerClient } from "./helpers/signin";

const BLOCKBRAIN_CALLBACK = "https://integrations.test.theblockbrain.ai/api/v1/mcp-servers/cfg-456/oauth/callback";
const BINDING_KEY = "pandgate:client-tenants:";

let entra: EntraMock;
beforeEach(() => {
  entra = new EntraMock().install();
});
afterEach(() => vi.restoreAllMocks());

const userKey = (user: EntraUser) => `entra.${user.tid}.${user.oid}`;
const grantsOf = async (user: EntraUser) => (await oauthHelpers().listUserGrants(userKey(user))).items;

/** The user signs in through the client and the client redeems its code; the MCP server sees that user. */
async function expectSignedIn(client: RegisteredClient, user: EntraUser) {
  const { callback, auth } = await approveAndSignIn(entra, client, user);
  expect(callback.status).toBe(302);
  const tokens = await redeem(auth, callback.headers.get("location") ?? "", client.client_secret ? "post" : "none");
  expect(tokens.status).toBe(200);
  const mcp = await connectClient(tokens.body.access_token ?? "");
  const info = (await mcp.callTool({ name: "Get_Server_Info", arguments: {} })).structuredContent as {
    clientId: string;
    user: { userKey: string; tenantId: string };
  };
  expect(info).toMatchObject({ clientId: client.client_id, user: { userKey: userKey(user), tenantId: user.tid } });
  await mcp.close();
}

describe("a pre-registered client bound to tenants", () => {
  it("is created with its tenants (normalised), lists them, and forgets the binding when deleted", async () => {
    const client = await createClient({
      name: "Blockbrain (Contoso)",
      redirectUris: [BLOCKBRAIN_CALLBACK],
      tenants: [TENANT_A.toUpperCase(), ` ${TENANT_A} `],
    });
    expect(client.tenants).toEqual([TENANT_A]);
    expect(await listedClient(client.client_id)).toMatchObject({ name: "Blockbrain (Contoso)", tenants: [TENANT_A] });
    expect(await env.OAUTH_KV.get(`${BINDING_KEY}${client.client_id}`)).not.toBeNull();

    expect((await admin(`/admin/clients/${client.client_id}`, { method: "DELETE" })).status).toBe(204);
    expect(await env.OAUTH_KV.get(`${BINDING_KEY}${client.client_id}`)).toBeNull();
  });

  it("signs in a user of its tenant", async () => {
    const client = await createClient({ name: "Blockbrain", redirectUris: [BLOCKBRAIN_CALLBACK], tenants: [TENANT_A] });
    await expectSignedIn(client, entraUser(TENANT_A));
  });

  it("refuses a user of another allowed tenant with a page, logs why, and stores nothing", async () => {
    const warn = vi.spyOn(console, "warn");
    const client = await createClient({ name: "Blockbrain", redirectUris: [BLOCKBRAIN_CALLBACK], tenants: [TENANT_A] });
    const user = entraUser(TENANT_B);
    const { callback, auth } = await approveAndSignIn(entra, client, user);

    expect(callback.status).toBe(403);
    expect(callback.headers.get("content-type")).toContain("text/html");
    expect(callback.headers.get("location")).toBeNull();
    const html = await callback.text();
    expect(html).toContain("Sign-in refused");
    expect(html).toContain("This app is set up for another organisation");
    expect(html).toContain(`tenant ${TENANT_B}`);
    // the way back tells the client access_denied, with its state and no code
    const back = new URL((/href="([^"]+)"/.exec(html.replace(/.*<h1>/s, ""))?.[1] ?? "").replaceAll("&amp;", "&"));
    expect(`${back.origin}${back.pathname}`).toBe(BLOCKBRAIN_CALLBACK);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("state")).toBe(auth.state);
    expect(back.searchParams.has("code")).toBe(false);

    expect(await grantsOf(user)).toEqual([]);
    const events = warn.mock.calls
      .map(([line]) => String(line))
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const refusal = events.find((e) => e.event === "signin_refused");
    expect(refusal).toMatchObject({ level: "warn", reason: "client_tenant_not_allowed", clientId: client.client_id, tenantId: TENANT_B });
    expect(JSON.stringify(events)).not.toMatch(/code=|eyJ/);
  });

  it("serves every tenant it is bound to, and only those", async () => {
    const client = await createClient({ name: "Blockbrain", redirectUris: [BLOCKBRAIN_CALLBACK], tenants: [TENANT_A, TENANT_B] });
    expect(client.tenants).toEqual([TENANT_A, TENANT_B]);
    await expectSignedIn(client, entraUser(TENANT_A));
    await expectSignedIn(client, entraUser(TENANT_B));
    // the server's own allow-list still comes first
    const outsider = entraUser(TENANT_OTHER);
    const { callback } = await approveAndSignIn(entra, client, outsider);
    expect(callback.status).toBe(403);
    expect(await callback.text()).toContain("is not allowed to use this server");
    expect(await grantsOf(outsider)).toEqual([]);
  });

  it("leaves unbound clients as they were: any allowed tenant signs in", async () => {
    const unbound = await createClient({ name: "Blockbrain (shared)", redirectUris: [BLOCKBRAIN_CALLBACK] });
    expect(unbound.tenants).toEqual([]);
    expect(await env.OAUTH_KV.get(`${BINDING_KEY}${unbound.client_id}`)).toBeNull();
    await expectSignedIn(unbound, entraUser(TENANT_B));
    await expectSignedIn(await registerClient(), entraUser(TENANT_B));
  });

  it("fails closed when a binding cannot be read", async () => {
    const client = await createClient({ name: "Blockbrain", redirectUris: [BLOCKBRAIN_CALLBACK], tenants: [TENANT_A] });
    await env.OAUTH_KV.put(`${BINDING_KEY}${client.client_id}`, "{not json");
    vi.spyOn(console, "error").mockImplementation(() => {});
    const user = entraUser(TENANT_A);
    const { callback } = await approveAndSignIn(entra, client, user);
    expect(callback.status).toBe(500);
    expect(await grantsOf(user)).toEqual([]);
    // the listing still works and shows the binding as unreadable, so the operator can delete the client
    expect(await listedClient(client.client_id)).toMatchObject({ tenants: null });
    expect((await admin(`/admin/clients/${client.client_id}`, { method: "DELETE" })).status).toBe(204);
  });
});

describe("creating a bound client: bad tenants", () => {
  async function refused(tenants: unknown): Promise<string> {
    const name = `Refused ${crypto.randomUUID()}`;
    const res = await postClient({ name, redirectUris: [BLOCKBRAIN_CALLBACK], tenants });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe("invalid_request");
    // nothing was created
    const listed = (await (await admin("/admin/clients")).json()) as { clients: Array<{ name: string }> };
    expect(listed.clients.some((c) => c.name === name)).toBe(false);
    return body.message;
  }

  it("names a value that is not a tenant id", async () => {
    expect(await refused([TENANT_A, "contoso.onmicrosoft.com"])).toContain('tenants: "contoso.onmicrosoft.com" is not an Entra tenant id');
    expect(await refused(["3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b1"])).toContain(
      '"3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b1" is not an Entra tenant id',
    );
  });

  it("refuses a tenant the server itself does not allow, naming ALLOWED_TENANT_IDS", async () => {
    const message = await refused([TENANT_OTHER]);
    expect(message).toContain(TENANT_OTHER);
    expect(message).toContain("ALLOWED_TENANT_IDS");
  });

  it("refuses an empty list and a list that is not one", async () => {
    expect(await refused([])).toContain("tenants");
    expect(await refused(TENANT_A)).toContain("tenants");
  });
});
