import type { ClientInfo, GrantSummary, OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import type { Context, Hono, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { z } from "zod";
import { type AuditInput, type AuditKind, cleanText, redirectHosts } from "../audit/events";
import { clientAddress, recordAudit } from "../audit/record";
import { AuditStore } from "../audit/store";
import { bindClientTenants, clientTenants, MAX_CLIENT_TENANTS, normaliseTenants, unbindClientTenants } from "../auth/policy";
import type { Config } from "../config";
import { isUuid } from "../domain/ids";
import { describeError, log } from "../log";
import { readJsonBody } from "../request-body";
import { describeEvent, describeFilter, parseAuditQuery } from "./audit-query";
import { parseUserKey, tenantOfUserKey, USER_KEY_HELP } from "./user-key";

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

/** The largest body the operator API reads (a client to create: a name, ten redirect URIs, tenant ids). */
const MAX_ADMIN_BODY_BYTES = 64 * 1024;

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

/** An operator event before the shared parts (actor, route, address) are added. */
type OperatorEvent = Omit<AuditInput, "actor" | "kind"> & { kind: AuditKind & `operator.${string}` };
/** What a refusal records about the action it refused (the outcome and reason are the refusal's). */
type RefusedEvent = Omit<OperatorEvent, "outcome" | "reason">;

/**
 * Records an operator action in the audit trail: the operator as actor, the route as registered
 * (`DELETE /admin/clients/:id`: ids have fields of their own) and the caller's address.
 */
function auditOperator(c: Context, event: OperatorEvent, route = `${c.req.method} ${routePath(c)}`): void {
  const ip = clientAddress(c.req.raw);
  recordAudit(c.env as Env, { ...event, actor: "operator", details: { ...event.details, route, ...(ip && { ip }) } });
}

/** The operator API's challenge (RFC 6750 §3): a realm of its own, apart from `/mcp`'s. */
const OPERATOR_CHALLENGE = 'Bearer realm="pandgate operator API"';

/** SHA-256 of a text: two digests of equal length, for a constant-time comparison. */
async function digest(text: string): Promise<ArrayBuffer> {
  return await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

/**
 * The operator API's door: `Authorization: Bearer <OPERATOR_SECRET>`, compared in constant time
 * (both sides hashed, then `timingSafeEqual`). Every refusal is `401` with a `WWW-Authenticate`
 * challenge, whatever was presented: no header (no error code, RFC 6750 §3.1), another scheme,
 * a malformed header, a wrong secret or a user's access token (`error="invalid_token"`), so a
 * caller learns nothing about the secret's shape. Each refusal is recorded as
 * `operator.unauthorized` with the path as sent (no route matched for the caller), never what
 * the caller presented.
 */
function operatorAuth(secret: string): MiddlewareHandler<{ Bindings: Env }> {
  const expected = digest(secret);
  return async (c, next) => {
    const header = c.req.header("authorization");
    const presented = header === undefined ? undefined : /^Bearer +(\S+) *$/i.exec(header)?.[1];
    if (presented !== undefined && crypto.subtle.timingSafeEqual(await digest(presented), await expected)) {
      await next();
      return;
    }
    const route = cleanText(`${c.req.method} ${new URL(c.req.url).pathname}`, 128);
    auditOperator(c, { kind: "operator.unauthorized", outcome: "denied", reason: "invalid_operator_secret" }, route);
    const headers = {
      ...NO_STORE,
      "www-authenticate": header === undefined ? OPERATOR_CHALLENGE : `${OPERATOR_CHALLENGE}, error="invalid_token"`,
    };
    return header === undefined
      ? c.json(
          { error: "unauthorized", message: "The operator API needs the operator secret: send Authorization: Bearer <OPERATOR_SECRET>." },
          401,
          headers,
        )
      : c.json(
          {
            error: "invalid_token",
            message:
              "That is not the operator secret. The operator API takes only OPERATOR_SECRET as a bearer token; a user's access token does not open it.",
          },
          401,
          headers,
        );
  };
}

/**
 * The operator API behind `npm run clients` and `npm run audit`: create (optionally bound to
 * Entra tenants), list and delete pre-registered confidential clients (e.g. Blockbrain), list and
 * revoke a user's grants, and read the audit trail. Protected by OPERATOR_SECRET as a bearer
 * token; off without it. A new client's secret is in the create answer only, never stored in the
 * clear or shown again. Every action but listing clients (which has no kind of its own) is
 * recorded in the audit trail, refused ones (400, 404) with outcome `error`, and so is every
 * request with a missing or wrong secret.
 */
export function mountAdmin(app: Hono<{ Bindings: Env }>, config: Config): void {
  const secret = config.operatorSecret;
  if (!secret) {
    app.all("/admin/*", (c) => c.json({ error: "not_found", message: "The operator API is off; set OPERATOR_SECRET to turn it on" }, 404));
    return;
  }
  app.use("/admin/*", operatorAuth(secret));

  /** A refused request: the 400 that says why, recorded as an `error` of the action it asked for. */
  const invalid = (c: AdminContext, event: RefusedEvent, message: string) => {
    auditOperator(c, { ...event, outcome: "error", reason: "invalid_request" });
    return c.json({ error: "invalid_request", message }, 400);
  };
  /** A 404 for something named that does not exist, recorded like a refusal. */
  const notFound = (c: AdminContext, event: RefusedEvent, message: string) => {
    auditOperator(c, { ...event, outcome: "error", reason: "not_found" });
    return c.json({ error: "not_found", message }, 404);
  };

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
    const created = { kind: "operator.client_created" } as const;
    const read = await readJsonBody(c.req.raw, MAX_ADMIN_BODY_BYTES);
    if (!read.ok) {
      const message = `Send JSON {name, redirectUris[], authMethod?, tenants[]?}: ${read.message}.`;
      if (read.problem !== "too_large") return invalid(c, created, message);
      auditOperator(c, { ...created, outcome: "error", reason: "invalid_request" });
      return c.json({ error: "invalid_request", message }, 413, NO_STORE);
    }
    const parsed = CreateClientSchema.safeParse(read.value);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
      return invalid(c, created, `Send JSON {name, redirectUris[], authMethod?, tenants[]?}. ${issues}`);
    }
    const { name, redirectUris, authMethod } = parsed.data;
    let tenants: string[] | null = null;
    if (parsed.data.tenants) {
      const checked = checkTenants(parsed.data.tenants);
      if ("problem" in checked) return invalid(c, created, checked.problem);
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
      auditOperator(c, { ...created, outcome: "error", reason: "invalid_client_metadata" });
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
    auditOperator(c, {
      ...created,
      outcome: "success",
      clientId: client.clientId,
      ...bindingFields(tenants),
      details: { clientName: cleanText(name, 120), redirectHosts: redirectHosts(redirectUris), ...bindingCount(tenants) },
    });
    return c.json({ ...describe(client, tenants), clientSecret: client.clientSecret }, 201, NO_STORE);
  });

  app.delete("/admin/clients/:id", async (c) => {
    const id = c.req.param("id");
    const deleted = { kind: "operator.client_deleted", clientId: cleanText(id, 512) } as const;
    const client = await c.env.OAUTH_PROVIDER.lookupClient(id).catch(() => null);
    if (!client) return notFound(c, deleted, `No client ${id}`);
    // Read before it goes, for the event; an unreadable binding is still removed below.
    const tenants = await clientTenants(c.env.OAUTH_KV, id).catch(() => null);
    await c.env.OAUTH_PROVIDER.deleteClient(id);
    // After the client: a deletion cut short must not leave the client without its binding.
    await unbindClientTenants(c.env.OAUTH_KV, id);
    log("info", "client_deleted", { clientId: id });
    auditOperator(c, {
      ...deleted,
      outcome: "success",
      ...bindingFields(tenants),
      details: {
        clientName: cleanText(client.clientName, 120),
        redirectHosts: redirectHosts(client.redirectUris),
        ...bindingCount(tenants),
      },
    });
    return c.body(null, 204);
  });

  /** The user key of the path, or the 400 (recorded as an `event` refused) that explains the format. */
  function userKeyOf(c: AdminContext, event: RefusedEvent): { userKey: string } | { refusal: Response } {
    const raw = c.req.param("userKey") ?? "";
    const userKey = parseUserKey(raw);
    return userKey ? { userKey } : { refusal: invalid(c, event, `${JSON.stringify(raw)} is not a user key. ${USER_KEY_HELP}.`) };
  }

  /** The subject of a grants event: the user, and their tenant when the key names it. */
  const grantSubject = (userKey: string) => {
    const tenantId = tenantOfUserKey(userKey);
    return { userKey, ...(tenantId !== undefined && { tenantId }) };
  };

  app.get("/admin/users/:userKey/grants", async (c) => {
    const listed = { kind: "operator.grants_listed" } as const;
    const key = userKeyOf(c, listed);
    if ("refusal" in key) return key.refusal;
    const oauth = c.env.OAUTH_PROVIDER;
    const grants = await describeGrants(oauth, await userGrants(oauth, key.userKey));
    auditOperator(c, { ...listed, outcome: "success", ...grantSubject(key.userKey), details: { count: grants.length } });
    return c.json({ userKey: key.userKey, grants }, 200, NO_STORE);
  });

  /** Records a revocation: how many grants, and which one when it was exactly one. */
  const auditRevoked = (c: AdminContext, userKey: string, grantIds: string[]) =>
    auditOperator(c, {
      kind: "operator.grants_revoked",
      outcome: "success",
      ...grantSubject(userKey),
      details: { count: grantIds.length, ...(grantIds.length === 1 && { grantId: grantIds[0] }) },
    });

  /** Revokes every grant of a user: all of their access and refresh tokens stop working. */
  app.delete("/admin/users/:userKey/grants", async (c) => {
    const key = userKeyOf(c, { kind: "operator.grants_revoked" });
    if ("refusal" in key) return key.refusal;
    const oauth = c.env.OAUTH_PROVIDER;
    const grants = await userGrants(oauth, key.userKey);
    for (const grant of grants) await oauth.revokeGrant(grant.id, key.userKey);
    const grantIds = grants.map((grant) => grant.id);
    log("info", "grants_revoked", { userKey: key.userKey, count: grantIds.length });
    auditRevoked(c, key.userKey, grantIds);
    return c.json({ userKey: key.userKey, revoked: grantIds.length, grantIds }, 200, NO_STORE);
  });

  app.delete("/admin/users/:userKey/grants/:grantId", async (c) => {
    const revoked = { kind: "operator.grants_revoked" } as const;
    const key = userKeyOf(c, revoked);
    if ("refusal" in key) return key.refusal;
    const subject = { ...revoked, ...grantSubject(key.userKey) };
    const grantId = c.req.param("grantId");
    if (!GRANT_ID.test(grantId))
      return invalid(c, subject, `${JSON.stringify(grantId)} is not a grant id; list the user's grants to see theirs.`);
    const oauth = c.env.OAUTH_PROVIDER;
    const grants = await userGrants(oauth, key.userKey);
    if (!grants.some((grant) => grant.id === grantId)) {
      return notFound(
        c,
        { ...subject, details: { grantId } },
        `User ${key.userKey} has no grant ${grantId}; list their grants to see theirs.`,
      );
    }
    await oauth.revokeGrant(grantId, key.userKey);
    log("info", "grants_revoked", { userKey: key.userKey, count: 1, grantId });
    auditRevoked(c, key.userKey, [grantId]);
    return c.json({ userKey: key.userKey, revoked: 1, grantIds: [grantId] }, 200, NO_STORE);
  });

  /**
   * The audit trail, newest first, one page at a time (`npm run audit`). Every parameter is checked
   * before anything is read. The read is itself recorded, about the tenant and user it asked for.
   */
  app.get("/admin/audit", async (c) => {
    const read = { kind: "operator.audit_read" } as const;
    const parsed = parseAuditQuery(new URL(c.req.url).searchParams);
    if ("problem" in parsed) return invalid(c, read, parsed.problem);
    const { filter, limit, cursor } = parsed.query;
    const page = await new AuditStore(c.env.DB).page(filter, limit, cursor);
    const tenantId = filter.tenantId ?? (filter.userKey !== undefined ? tenantOfUserKey(filter.userKey) : undefined);
    auditOperator(c, {
      ...read,
      outcome: "success",
      ...(tenantId !== undefined && { tenantId }),
      ...(filter.userKey !== undefined && { userKey: filter.userKey }),
      details: { filter: describeFilter(filter), count: page.events.length },
    });
    return c.json({ events: page.events.map(describeEvent), ...(page.nextCursor && { nextCursor: page.nextCursor }) }, 200, NO_STORE);
  });
}

/**
 * A client's tenant binding in an event. The event has one `tenantId`: the bound tenant when
 * there is exactly one, so that tenant's own audit reading finds it; with several, none (one
 * event per action, not per tenant), and `details.count` says how many are bound.
 */
function bindingFields(tenants: string[] | null): { tenantId?: string } {
  return tenants?.length === 1 ? { tenantId: tenants[0] } : {};
}

function bindingCount(tenants: string[] | null): { count?: number } {
  return tenants && tenants.length > 0 ? { count: tenants.length } : {};
}
