import type { ClientInfo, GrantSummary, OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import type { Context, Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { z } from "zod";
import { bindClientTenants, clientTenants, MAX_CLIENT_TENANTS, normaliseTenants, unbindClientTenants } from "../auth/policy";
import type { Config } from "../config";
import { isUuid } from "../domain/ids";
import { describeError, log } from "../log";

type AdminContext = Context<{ Bindings: Env }>;

const CreateClientSchema = z.object({
  name: z.string().trim().min(1).max(120),
  redirectUris: z.array(z.url()).min(1).max(10),
  /** Omit to let the client use either secret method (Blockbrain's is not documented). */
  authMethod: z.enum(["client_secret_post", "client_secret_basic"]).optional(),
  /** Entra tenant ids whose users alone may sign in through this client; omit for any allowed tenant. */
  tenants: z.array(z.string()).min(1).max(MAX_CLIENT_TENANTS).optional(),
});

const NO_STORE = { "cache-control": "no-store" };

/**
 * A user key as the sign-in makes it (`src/auth/identity.ts`): `entra.<tenant id>.<object id>`
 * for Entra, `<kind>.<43 base64url characters>` (a SHA-256) for B2C, External ID and OIDC.
 * Entra keys are lowercase; an operator copying ids from the portal may not be.
 */
const USER_KEY_HELP =
  "A user key is entra.<tenant id>.<object id> for an Entra user (both GUIDs, as in the Entra admin center), or b2c.…, external-id.… or oidc.… followed by 43 characters (Get_Server_Info shows a signed-in user's key)";
const HASHED_KINDS = ["b2c", "external-id", "oidc"];

function parseUserKey(raw: string): string | undefined {
  const [kind = "", ...rest] = raw.split(".");
  if (kind.toLowerCase() === "entra") return rest.length === 2 && rest.every(isUuid) ? raw.toLowerCase() : undefined;
  const [hash = ""] = rest;
  return HASHED_KINDS.includes(kind) && rest.length === 1 && /^[A-Za-z0-9_-]{43}$/.test(hash) ? raw : undefined;
}

/** Grant ids are the library's random strings (base64url alphabet). */
const GRANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A client's binding for the listing: `undefined` when it cannot be read (sign-ins through the client then fail). */
type Binding = string[] | null | undefined;

function describe(client: ClientInfo, tenants: Binding) {
  return {
    clientId: client.clientId,
    name: client.clientName ?? null,
    redirectUris: client.redirectUris,
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
    /** Tenants whose users alone may sign in through the client; empty: any tenant the server allows; null: unreadable. */
    tenants: tenants === undefined ? null : (tenants ?? []),
    registeredAt: client.registrationDate ? new Date(client.registrationDate * 1000).toISOString() : null,
  };
}

const isoTime = (seconds: number | undefined) => (seconds === undefined ? null : new Date(seconds * 1000).toISOString());

/** Every grant of a user (the library pages them). */
async function userGrants(oauth: OAuthHelpers, userKey: string): Promise<GrantSummary[]> {
  const grants: GrantSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await oauth.listUserGrants(userKey, { limit: 100, ...(cursor && { cursor }) });
    grants.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return grants.sort((a, b) => a.createdAt - b.createdAt);
}

/** What the operator sees of a grant: never its tokens, props or metadata. */
async function describeGrants(oauth: OAuthHelpers, grants: GrantSummary[]) {
  const names = new Map<string, Promise<string | null>>();
  const nameOf = (clientId: string) => {
    let name = names.get(clientId);
    if (!name) {
      // A deleted client, or a metadata document that cannot be fetched now, has no name to show.
      name = oauth.lookupClient(clientId).then(
        (client) => client?.clientName ?? null,
        () => null,
      );
      names.set(clientId, name);
    }
    return name;
  };
  return Promise.all(
    grants.map(async (grant) => ({
      grantId: grant.id,
      clientId: grant.clientId,
      clientName: await nameOf(grant.clientId),
      scopes: grant.scope,
      createdAt: isoTime(grant.createdAt),
      expiresAt: isoTime(grant.expiresAt),
    })),
  );
}

/**
 * The operator API behind `npm run clients`: create (optionally bound to Entra tenants), list and
 * delete pre-registered confidential clients (e.g. Blockbrain), and list and revoke a user's
 * grants. Protected by OPERATOR_SECRET as a bearer token; off without it. A new client's secret
 * is in the create answer only, never stored in the clear or shown again.
 */
export function mountAdmin(app: Hono<{ Bindings: Env }>, config: Config): void {
  const secret = config.operatorSecret;
  if (!secret) {
    app.all("/admin/*", (c) => c.json({ error: "not_found", message: "The operator API is off; set OPERATOR_SECRET to turn it on" }, 404));
    return;
  }
  app.use("/admin/*", bearerAuth({ token: secret }));

  const invalid = (c: AdminContext, message: string) => c.json({ error: "invalid_request", message }, 400);

  /** Tenant ids for a binding, or the reason they cannot be used. */
  function checkTenants(tenants: string[]): { tenants: string[] } | { problem: string } {
    for (const tenant of tenants) {
      if (!isUuid(tenant.trim())) {
        return {
          problem: `tenants: ${JSON.stringify(tenant)} is not an Entra tenant id. Give the tenant id, a GUID such as 3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11 (Entra admin center → Overview → Tenant ID), not a domain name.`,
        };
      }
    }
    const normalised = normaliseTenants(tenants);
    const allowed = config.upstream?.allowedTenants;
    if (Array.isArray(allowed) && allowed.length > 0) {
      const refused = normalised.find((tenant) => !allowed.includes(tenant));
      if (refused) {
        return {
          problem: `tenants: ${refused} is not in this server's ALLOWED_TENANT_IDS, so none of its users could sign in through this client. Add it to ALLOWED_TENANT_IDS first.`,
        };
      }
    }
    return { tenants: normalised };
  }

  app.get("/admin/clients", async (c) => {
    const clients: ClientInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.env.OAUTH_PROVIDER.listClients({ limit: 100, ...(cursor && { cursor }) });
      clients.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    const described = await Promise.all(
      clients.map(async (client) => {
        const tenants: Binding = await clientTenants(c.env.OAUTH_KV, client.clientId).catch((error: unknown) => {
          log("error", "client_binding_unreadable", { clientId: client.clientId, error: describeError(error) });
          return undefined;
        });
        return describe(client, tenants);
      }),
    );
    return c.json({ clients: described }, 200, NO_STORE);
  });

  app.post("/admin/clients", async (c) => {
    const parsed = CreateClientSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
      return invalid(c, `Send JSON {name, redirectUris[], authMethod?, tenants[]?}. ${issues}`);
    }
    const { name, redirectUris, authMethod } = parsed.data;
    let tenants: string[] | null = null;
    if (parsed.data.tenants) {
      const checked = checkTenants(parsed.data.tenants);
      if ("problem" in checked) return invalid(c, checked.problem);
      tenants = checked.tenants;
    }
    let client: ClientInfo;
    try {
      client = await c.env.OAUTH_PROVIDER.createClient({
        clientName: name,
        redirectUris,
        grantTypes: ["authorization_code", "refresh_token"],
        responseTypes: ["code"],
        ...(authMethod && { tokenEndpointAuthMethod: authMethod }),
      });
    } catch (error) {
      return c.json({ error: "invalid_client_metadata", message: error instanceof Error ? error.message : "rejected" }, 400);
    }
    if (tenants) {
      try {
        await bindClientTenants(c.env.OAUTH_KV, client.clientId, tenants);
      } catch (error) {
        // Nobody holds the secret yet; an unbound client must not outlive a failed binding.
        await c.env.OAUTH_PROVIDER.deleteClient(client.clientId);
        throw error;
      }
    }
    log("info", "client_created", { clientId: client.clientId, tenants: tenants?.join(",") ?? null });
    return c.json({ ...describe(client, tenants), clientSecret: client.clientSecret }, 201, NO_STORE);
  });

  app.delete("/admin/clients/:id", async (c) => {
    const id = c.req.param("id");
    const client = await c.env.OAUTH_PROVIDER.lookupClient(id).catch(() => null);
    if (!client) return c.json({ error: "not_found", message: `No client ${id}` }, 404);
    await c.env.OAUTH_PROVIDER.deleteClient(id);
    // After the client: a deletion cut short must not leave the client without its binding.
    await unbindClientTenants(c.env.OAUTH_KV, id);
    log("info", "client_deleted", { clientId: id });
    return c.body(null, 204);
  });

  /** The user key of the path, or the 400 that explains the format. */
  function userKeyOf(c: AdminContext): { userKey: string } | { refusal: Response } {
    const raw = c.req.param("userKey") ?? "";
    const userKey = parseUserKey(raw);
    return userKey ? { userKey } : { refusal: invalid(c, `${JSON.stringify(raw)} is not a user key. ${USER_KEY_HELP}.`) };
  }

  app.get("/admin/users/:userKey/grants", async (c) => {
    const key = userKeyOf(c);
    if ("refusal" in key) return key.refusal;
    const oauth = c.env.OAUTH_PROVIDER;
    const grants = await describeGrants(oauth, await userGrants(oauth, key.userKey));
    return c.json({ userKey: key.userKey, grants }, 200, NO_STORE);
  });

  /** Revokes every grant of a user: all of their access and refresh tokens stop working. */
  app.delete("/admin/users/:userKey/grants", async (c) => {
    const key = userKeyOf(c);
    if ("refusal" in key) return key.refusal;
    const oauth = c.env.OAUTH_PROVIDER;
    const grants = await userGrants(oauth, key.userKey);
    for (const grant of grants) await oauth.revokeGrant(grant.id, key.userKey);
    const grantIds = grants.map((grant) => grant.id);
    log("info", "grants_revoked", { userKey: key.userKey, count: grantIds.length });
    return c.json({ userKey: key.userKey, revoked: grantIds.length, grantIds }, 200, NO_STORE);
  });

  app.delete("/admin/users/:userKey/grants/:grantId", async (c) => {
    const key = userKeyOf(c);
    if ("refusal" in key) return key.refusal;
    const grantId = c.req.param("grantId");
    if (!GRANT_ID.test(grantId)) return invalid(c, `${JSON.stringify(grantId)} is not a grant id; list the user's grants to see theirs.`);
    const oauth = c.env.OAUTH_PROVIDER;
    const grants = await userGrants(oauth, key.userKey);
    if (!grants.some((grant) => grant.id === grantId)) {
      return c.json({ error: "not_found", message: `User ${key.userKey} has no grant ${grantId}; list their grants to see theirs.` }, 404);
    }
    await oauth.revokeGrant(grantId, key.userKey);
    log("info", "grants_revoked", { userKey: key.userKey, count: 1, grantId });
    return c.json({ userKey: key.userKey, revoked: 1, grantIds: [grantId] }, 200, NO_STORE);
  });
}
