import type { ClientInfo } from "@cloudflare/workers-oauth-provider";
import type { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { z } from "zod";
import type { Config } from "../config";
import { log } from "../log";

const CreateClientSchema = z.object({
  name: z.string().trim().min(1).max(120),
  redirectUris: z.array(z.url()).min(1).max(10),
  /** Omit to let the client use either secret method (Blockbrain's is not documented). */
  authMethod: z.enum(["client_secret_post", "client_secret_basic"]).optional(),
});

function describe(client: ClientInfo) {
  return {
    clientId: client.clientId,
    name: client.clientName ?? null,
    redirectUris: client.redirectUris,
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
    registeredAt: client.registrationDate ? new Date(client.registrationDate * 1000).toISOString() : null,
  };
}

/**
 * The operator API behind `npm run clients`: create, list and delete pre-registered confidential
 * clients (e.g. Blockbrain). Protected by OPERATOR_SECRET as a bearer token; off without it. A
 * new client's secret is in the create answer only, never stored in the clear or shown again.
 */
export function mountAdmin(app: Hono<{ Bindings: Env }>, config: Config): void {
  const secret = config.operatorSecret;
  if (!secret) {
    app.all("/admin/*", (c) => c.json({ error: "not_found", message: "The operator API is off; set OPERATOR_SECRET to turn it on" }, 404));
    return;
  }
  app.use("/admin/*", bearerAuth({ token: secret }));

  app.get("/admin/clients", async (c) => {
    const clients: ClientInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.env.OAUTH_PROVIDER.listClients({ limit: 100, ...(cursor && { cursor }) });
      clients.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return c.json({ clients: clients.map(describe) }, 200, { "cache-control": "no-store" });
  });

  app.post("/admin/clients", async (c) => {
    const parsed = CreateClientSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
      return c.json({ error: "invalid_request", message: `Send JSON {name, redirectUris[], authMethod?}. ${issues}` }, 400);
    }
    const { name, redirectUris, authMethod } = parsed.data;
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
    log("info", "client_created", { clientId: client.clientId });
    return c.json({ ...describe(client), clientSecret: client.clientSecret }, 201, { "cache-control": "no-store" });
  });

  app.delete("/admin/clients/:id", async (c) => {
    const id = c.req.param("id");
    const client = await c.env.OAUTH_PROVIDER.lookupClient(id).catch(() => null);
    if (!client) return c.json({ error: "not_found", message: `No client ${id}` }, 404);
    await c.env.OAUTH_PROVIDER.deleteClient(id);
    log("info", "client_deleted", { clientId: id });
    return c.body(null, 204);
  });
}
