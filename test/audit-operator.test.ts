import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AUDIT_CATEGORIES, AUDIT_KINDS, type AuditEvent, type AuditInput, completeEvent } from "../src/audit/events";
import { AuditStore } from "../src/audit/store";
import { admin, createClient, postClient } from "./helpers/admin";
import { allAuditText, waitForAudit } from "./helpers/audit";
import { TENANT_A, TENANT_B } from "./helpers/entra";
import { BASE, mintToken, newIdentity } from "./helpers/oauth";

/**
 * The operator's part of the audit trail, through the real Worker: every operator action (and
 * every request with a missing or wrong operator secret) is recorded, and `GET /admin/audit`
 * reads the trail with filters and a cursor. Events travel through the real AUDIT_QUEUE, so the
 * tests wait for them. Each test uses its own tenant ids, user keys and client addresses, since
 * the trail is shared by every test in this file.
 */

const CALLBACK = "https://integrations.test.theblockbrain.ai/api/v1/mcp-servers/cfg-789/oauth/callback";
const SECOND_CALLBACK = "https://backup.blockbrain.test:8443/oauth/callback?tenant=contoso";
/** Every client secret this file was given, and the wrong operator secrets it sent: none may be recorded. */
const secretsSeen: string[] = [];

/** A fresh client address, so a test finds exactly its own requests' events. */
let addresses = 0;
const newAddress = () => `198.51.100.${++addresses}`;
const from = (ip: string) => ({ headers: { "cf-connecting-ip": ip } });

/** A stored event made directly (no queue), for the reading tests. */
function fixture(input: Partial<AuditInput>, at: number): AuditEvent {
  const made = completeEvent({ kind: "token.issued", outcome: "success", actor: "client", ...input }, at);
  if ("problem" in made) throw new Error(made.problem);
  return made.event;
}

/** `GET /admin/audit` with these parameters. */
async function readAudit(params: Record<string, string> | URLSearchParams) {
  const res = await admin(`/admin/audit?${new URLSearchParams(params)}`);
  const body = (await res.json()) as { events: Array<Record<string, unknown>>; nextCursor?: string; error?: string; message?: string };
  return { res, body };
}

const entraUserKey = (tenant: string) => `entra.${tenant}.${crypto.randomUUID()}`;
const iso = (ms: number) => new Date(ms).toISOString();
/** Events of one test in a fixed order: several requests can be recorded in the same millisecond. */
const byRoute = (events: AuditEvent[]) =>
  [...events].sort((a, b) => `${a.details.route} ${a.outcome}`.localeCompare(`${b.details.route} ${b.outcome}`));
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const MINUTE = 60_000;
/**
 * Events reach D1 through the queue within its 2-second batch timeout; a test may wait for several,
 * and a loaded machine delays each batch (vitest.config.ts, WAITS).
 */
const WAITS = { timeout: 90_000 };

describe("operator actions in the audit trail", WAITS, () => {
  it("creating a client records its name, redirect hosts and its one tenant, never its secret", async () => {
    const ip = newAddress();
    const res = await admin("/admin/clients", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": ip },
      body: JSON.stringify({ name: "Blockbrain (audit)", redirectUris: [CALLBACK, SECOND_CALLBACK], tenants: [TENANT_A.toUpperCase()] }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { clientId: string; clientSecret: string };
    secretsSeen.push(created.clientSecret);

    const events = await waitForAudit({ kind: "operator.client_created" }, (found) => found.some((e) => e.clientId === created.clientId));
    expect(events.filter((e) => e.clientId === created.clientId)).toEqual([
      {
        id: expect.any(String),
        at: expect.any(Number),
        kind: "operator.client_created",
        outcome: "success",
        actor: "operator",
        tenantId: TENANT_A,
        clientId: created.clientId,
        details: {
          clientName: "Blockbrain (audit)",
          redirectHosts: ["integrations.test.theblockbrain.ai", "backup.blockbrain.test:8443"],
          count: 1,
          route: "POST /admin/clients",
          ip,
        },
      },
    ]);
  });

  it("a client bound to several tenants is one event without a tenant, counting them; an unbound one has neither", async () => {
    const several = await createClient({ name: "Two tenants", redirectUris: [CALLBACK], tenants: [TENANT_A, TENANT_B] });
    const unbound = await createClient({ name: "Any tenant", redirectUris: [CALLBACK] });
    secretsSeen.push(several.clientSecret, unbound.clientSecret);
    const mine = (e: AuditEvent) => e.clientId === several.client_id || e.clientId === unbound.client_id;
    const events = (await waitForAudit({ kind: "operator.client_created" }, (found) => found.filter(mine).length === 2)).filter(mine);
    const byClient = new Map(events.map((e) => [e.clientId, e]));
    expect(events).toHaveLength(2);
    expect(byClient.get(several.client_id)).not.toHaveProperty("tenantId");
    expect(byClient.get(several.client_id)?.details).toEqual({
      clientName: "Two tenants",
      redirectHosts: ["integrations.test.theblockbrain.ai"],
      count: 2,
      route: "POST /admin/clients",
    });
    expect(byClient.get(unbound.client_id)).not.toHaveProperty("tenantId");
    expect(byClient.get(unbound.client_id)?.details).toEqual({
      clientName: "Any tenant",
      redirectHosts: ["integrations.test.theblockbrain.ai"],
      route: "POST /admin/clients",
    });
  });

  it("deleting a client records it with what it was; deleting an unknown one is recorded as an error", async () => {
    const client = await createClient({ name: "Short-lived", redirectUris: [CALLBACK], tenants: [TENANT_B] });
    secretsSeen.push(client.clientSecret);
    const ip = newAddress();
    expect((await admin(`/admin/clients/${client.client_id}`, { method: "DELETE", ...from(ip) })).status).toBe(204);
    expect((await admin(`/admin/clients/${client.client_id}`, { method: "DELETE", ...from(ip) })).status).toBe(404);

    const events = await waitForAudit(
      { kind: "operator.client_deleted" },
      (found) => found.filter((e) => e.clientId === client.client_id).length === 2,
    );
    const mine = events.filter((e) => e.clientId === client.client_id).sort((a, b) => a.outcome.localeCompare(b.outcome));
    expect(mine.map(({ outcome, reason, tenantId, details }) => ({ outcome, reason, tenantId, details }))).toEqual([
      { outcome: "error", reason: "not_found", tenantId: undefined, details: { route: "DELETE /admin/clients/:id", ip } },
      {
        outcome: "success",
        reason: undefined,
        tenantId: TENANT_B,
        details: {
          clientName: "Short-lived",
          redirectHosts: ["integrations.test.theblockbrain.ai"],
          count: 1,
          route: "DELETE /admin/clients/:id",
          ip,
        },
      },
    ]);
  });

  it("listing and revoking a user's grants records the user, their tenant, the grant and the counts", async () => {
    const userKey = entraUserKey(TENANT_B);
    const identity = newIdentity({ userKey, tenantId: TENANT_B, idp: "entra" });
    for (let i = 0; i < 3; i++) await mintToken(identity, ["mcp:read"]);

    const listed = (await (await admin(`/admin/users/${userKey}/grants`)).json()) as { grants: Array<{ grantId: string }> };
    expect(listed.grants).toHaveLength(3);
    const [first] = listed.grants;
    const one = await admin(`/admin/users/${userKey}/grants/${first?.grantId}`, { method: "DELETE" });
    expect(one.status).toBe(200);
    const rest = await admin(`/admin/users/${userKey}/grants`, { method: "DELETE" });
    expect(((await rest.json()) as { revoked: number }).revoked).toBe(2);

    const events = await waitForAudit({ userKey, kind: "operator" }, (found) => found.length === 3);
    expect(
      byRoute(events).map(({ kind, outcome, actor, tenantId, userKey, details }) => ({ kind, outcome, actor, tenantId, userKey, details })),
    ).toEqual([
      {
        kind: "operator.grants_revoked",
        outcome: "success",
        actor: "operator",
        tenantId: TENANT_B,
        userKey,
        details: { count: 2, route: "DELETE /admin/users/:userKey/grants" },
      },
      {
        kind: "operator.grants_revoked",
        outcome: "success",
        actor: "operator",
        tenantId: TENANT_B,
        userKey,
        details: { count: 1, grantId: first?.grantId, route: "DELETE /admin/users/:userKey/grants/:grantId" },
      },
      {
        kind: "operator.grants_listed",
        outcome: "success",
        actor: "operator",
        tenantId: TENANT_B,
        userKey,
        details: { count: 3, route: "GET /admin/users/:userKey/grants" },
      },
    ]);
  });

  it("a user key of another kind names no tenant, and an unknown grant is recorded as an error", async () => {
    const userKey = `oidc.${"A".repeat(43)}`;
    expect((await admin(`/admin/users/${userKey}/grants`)).status).toBe(200);
    expect((await admin(`/admin/users/${userKey}/grants/no-such-grant`, { method: "DELETE" })).status).toBe(404);
    const events = await waitForAudit({ userKey }, (found) => found.length === 2);
    expect(events.map(({ kind, outcome, reason, tenantId, details }) => ({ kind, outcome, reason, tenantId, details }))).toEqual(
      expect.arrayContaining([
        {
          kind: "operator.grants_listed",
          outcome: "success",
          reason: undefined,
          tenantId: undefined,
          details: { count: 0, route: "GET /admin/users/:userKey/grants" },
        },
        {
          kind: "operator.grants_revoked",
          outcome: "error",
          reason: "not_found",
          tenantId: undefined,
          details: { grantId: "no-such-grant", route: "DELETE /admin/users/:userKey/grants/:grantId" },
        },
      ]),
    );
  });

  it("refused input is recorded as an error of the action asked for, with the route and nothing of the body", async () => {
    const ip = newAddress();
    const body = JSON.stringify({ name: "", redirectUris: ["not a url"], clientSecret: "body-secret-must-not-be-recorded" });
    const bad = await admin("/admin/clients", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": ip },
      body,
    });
    expect(bad.status).toBe(400);
    const outsider = await postClient({ name: "Outsider", redirectUris: [CALLBACK], tenants: ["0d2c5e8a-1f3b-4c7d-9e6a-5b4c3d2e1f00"] });
    expect(outsider.status).toBe(400);
    expect((await admin("/admin/users/not-a-user-key/grants", from(ip))).status).toBe(400);
    secretsSeen.push("body-secret-must-not-be-recorded");

    const events = await waitForAudit({ kind: "operator" }, (found) => found.filter((e) => e.details.ip === ip).length === 2);
    expect(
      byRoute(events.filter((e) => e.details.ip === ip)).map(({ kind, outcome, reason, details }) => ({ kind, outcome, reason, details })),
    ).toEqual([
      {
        kind: "operator.grants_listed",
        outcome: "error",
        reason: "invalid_request",
        details: { route: "GET /admin/users/:userKey/grants", ip },
      },
      { kind: "operator.client_created", outcome: "error", reason: "invalid_request", details: { route: "POST /admin/clients", ip } },
    ]);
  });
});

describe("requests without the operator secret", WAITS, () => {
  const WRONG = "wrong-operator-secret-0123456789abcdef";
  const REALM = 'Bearer realm="pandgate operator API"';
  const REFUSED = `${REALM}, error="invalid_token"`;

  it("are 401 with the operator API's challenge whatever was presented, each recorded as operator.unauthorized without it", async () => {
    const ip = newAddress();
    // A real user's access token for /mcp: valid, but not the operator's (it held 400 once, being no token68).
    const userToken = (await mintToken(newIdentity(), ["mcp:read"])).accessToken;
    secretsSeen.push(WRONG, userToken);
    /** What is sent, where, and the challenge and error it must get. */
    const attempts: Array<[string, string, Record<string, string>, string, string]> = [
      ["no authorization header", "/admin/clients", {}, REALM, "unauthorized"],
      ["a wrong secret", "/admin/users/entra.x.y/grants", { authorization: `Bearer ${WRONG}` }, REFUSED, "invalid_token"],
      ["a malformed header", "/admin/audit", { authorization: "Bearer not a token!" }, REFUSED, "invalid_token"],
      ["another scheme", "/admin/clients", { authorization: `Basic ${btoa(`operator:${WRONG}`)}` }, REFUSED, "invalid_token"],
      ["a user's access token", "/admin/audit", { authorization: `Bearer ${userToken}` }, REFUSED, "invalid_token"],
    ];
    for (const [what, path, headers, challenge, error] of attempts) {
      const res = await exports.default.fetch(`${BASE}${path}?x=1`, { headers: { ...headers, "cf-connecting-ip": ip } });
      const body = (await res.json()) as { error: string; message: string };
      expect({ what, status: res.status, challenge: res.headers.get("www-authenticate"), error: body.error }).toEqual({
        what,
        status: 401,
        challenge,
        error,
      });
      expect(body.message, what).toMatch(/operator secret/);
      expect(res.headers.get("cache-control"), what).toBe("no-store");
    }

    const events = await waitForAudit({ kind: "operator.unauthorized" }, (found) => found.filter((e) => e.details.ip === ip).length === 5);
    const mine = byRoute(events.filter((e) => e.details.ip === ip));
    const refused = (route: string) => ({
      outcome: "denied",
      actor: "operator",
      reason: "invalid_operator_secret",
      details: { route, ip },
    });
    expect(mine.map(({ outcome, actor, reason, details }) => ({ outcome, actor, reason, details }))).toEqual([
      refused("GET /admin/audit"),
      refused("GET /admin/audit"),
      refused("GET /admin/clients"),
      refused("GET /admin/clients"),
      refused("GET /admin/users/entra.x.y/grants"),
    ]);
    // Nothing was read for them: no operator.audit_read from this address.
    expect((await waitForAudit({ kind: "operator.audit_read" }, () => true)).filter((e) => e.details.ip === ip)).toEqual([]);
  });

  it("nothing behind them runs: a refused create creates no client and records no client_created", async () => {
    const ip = newAddress();
    const res = await exports.default.fetch(`${BASE}/admin/clients`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer wrong-secret", "cf-connecting-ip": ip },
      body: JSON.stringify({ name: "Sneaky", redirectUris: [CALLBACK] }),
    });
    expect(res.status).toBe(401);
    const events = await waitForAudit({ kind: "operator" }, (found) => found.some((e) => e.details.ip === ip));
    expect(events.filter((e) => e.details.ip === ip).map((e) => [e.kind, e.details.route])).toEqual([
      ["operator.unauthorized", "POST /admin/clients"],
    ]);
    const listed = (await (await admin("/admin/clients")).json()) as { clients: Array<{ name: string }> };
    expect(listed.clients.map((c) => c.name)).not.toContain("Sneaky");
  });
});

describe("GET /admin/audit", WAITS, () => {
  it("answers the tenant's events newest first, in the documented shape, with no-store", async () => {
    const tenant = crypto.randomUUID();
    const userKey = entraUserKey(tenant);
    const older = fixture(
      { kind: "token.issued", tenantId: tenant, userKey, clientId: "client-1", details: { grantId: "g1", scopes: ["mcp:read"] } },
      T0,
    );
    const newer = fixture(
      {
        kind: "token.refresh_failed",
        outcome: "denied",
        tenantId: tenant,
        userKey,
        clientId: "client-1",
        reason: "invalid_grant",
        details: { grantId: "g1" },
      },
      T0 + MINUTE,
    );
    const otherTenant = fixture({ tenantId: crypto.randomUUID() }, T0 + 2 * MINUTE);
    await new AuditStore(env.DB).insert([older, newer, otherTenant]);

    const { res, body } = await readAudit({ tenant: tenant.toUpperCase() });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(body).toEqual({
      events: [
        {
          id: newer.id,
          at: "2026-11-02T08:01:00.000Z",
          kind: "token.refresh_failed",
          outcome: "denied",
          actor: "client",
          tenantId: tenant,
          userKey,
          clientId: "client-1",
          reason: "invalid_grant",
          details: { grantId: "g1" },
        },
        {
          id: older.id,
          at: "2026-11-02T08:00:00.000Z",
          kind: "token.issued",
          outcome: "success",
          actor: "client",
          tenantId: tenant,
          userKey,
          clientId: "client-1",
          details: { grantId: "g1", scopes: ["mcp:read"] },
        },
      ],
    });
  });

  it("filters by user, by kind (exact and group) and by time (from inclusive, to exclusive)", async () => {
    const tenant = crypto.randomUUID();
    const anna = entraUserKey(tenant);
    const bram = entraUserKey(tenant);
    const events = [
      fixture({ kind: "authorization.allowed", actor: "user", tenantId: tenant, userKey: anna }, T0),
      fixture({ kind: "token.issued", tenantId: tenant, userKey: anna }, T0 + MINUTE),
      fixture({ kind: "token.refreshed", tenantId: tenant, userKey: anna }, T0 + 2 * MINUTE),
      fixture({ kind: "token.issued", tenantId: tenant, userKey: bram }, T0 + 3 * MINUTE),
      fixture(
        { kind: "mcp.tool_call", actor: "user", tenantId: tenant, userKey: bram, details: { tool: "Get_Server_Info" } },
        T0 + 4 * MINUTE,
      ),
    ];
    await new AuditStore(env.DB).insert(events);
    const ids = async (params: Record<string, string>) => {
      const { res, body } = await readAudit({ tenant, ...params });
      expect(res.status, body.message).toBe(200);
      // Each read is itself recorded (operator.audit_read, about this tenant) before it answers,
      // so the reads before this one are in the trail too: only the fixtures are compared.
      return body.events.filter((e) => e.kind !== "operator.audit_read").map((e) => events.findIndex((f) => f.id === e.id));
    };
    expect(await ids({})).toEqual([4, 3, 2, 1, 0]);
    expect(await ids({ user: anna })).toEqual([2, 1, 0]);
    expect(await ids({ user: bram.toUpperCase() })).toEqual([4, 3]);
    expect(await ids({ kind: "token.issued" })).toEqual([3, 1]);
    expect(await ids({ kind: "token" })).toEqual([3, 2, 1]);
    expect(await ids({ kind: "token", user: anna })).toEqual([2, 1]);
    expect(await ids({ from: iso(T0 + MINUTE), to: iso(T0 + 3 * MINUTE) })).toEqual([2, 1]);
    expect(await ids({ from: "2026-11-02T09:03:00+01:00" })).toEqual([4, 3]);
    expect(await ids({ to: iso(T0 + MINUTE) })).toEqual([0]);
    expect(await ids({ user: entraUserKey(tenant) })).toEqual([]);
  });

  it("pages with the cursor: every event exactly once, also events of the same millisecond", async () => {
    const tenant = crypto.randomUUID();
    const times = [T0, T0, T0, T0 + 1, T0 + 2, T0 + 2, T0 + 3];
    const events = times.map((at) => fixture({ tenantId: tenant }, at));
    await new AuditStore(env.DB).insert(events);

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      // The fixtures' kind only: each read is itself recorded for this tenant before it answers.
      const { res, body } = await readAudit({ tenant, kind: "token.issued", limit: "3", ...(cursor && { cursor }) });
      expect(res.status, body.message).toBe(200);
      sizes.push(body.events.length);
      seen.push(...body.events.map((e) => e.id as string));
      cursor = body.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toHaveLength(7);
    expect([...seen].sort()).toEqual(events.map((e) => e.id).sort());
    const newestFirst = [...events].sort((a, b) => b.at - a.at || (b.id < a.id ? -1 : 1)).map((e) => e.id);
    expect(seen).toEqual(newestFirst);
    // Exactly a page's worth: no cursor to a page that would be empty.
    const exact = await readAudit({ tenant, kind: "token.issued", limit: "7" });
    expect(exact.body.events).toHaveLength(7);
    expect(exact.body).not.toHaveProperty("nextCursor");
    expect((await readAudit({ tenant, kind: "token.issued" })).body.events).toHaveLength(7);
    // The five reads above (three pages, then two), each stored before it answered.
    expect((await readAudit({ tenant, kind: "operator.audit_read" })).body.events).toHaveLength(5);
  });

  it("records each read as operator.audit_read with its filter and count, about the tenant and user it asked for", async () => {
    const tenant = crypto.randomUUID();
    const userKey = entraUserKey(tenant);
    await new AuditStore(env.DB).insert([fixture({ tenantId: tenant, userKey }, T0), fixture({ tenantId: tenant, userKey }, T0 + 1)]);
    const ip = newAddress();
    const res = await admin(
      `/admin/audit?tenant=${tenant}&user=${userKey}&kind=token&from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00%2B01:00&limit=1`,
      from(ip),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { events: unknown[] }).events).toHaveLength(1);
    const refused = await admin(`/admin/audit?tenant=${tenant}&limit=0`, from(ip));
    expect(refused.status).toBe(400);

    const events = await waitForAudit({ kind: "operator.audit_read" }, (found) => found.filter((e) => e.details.ip === ip).length === 2);
    expect(
      byRoute(events.filter((e) => e.details.ip === ip)).map(({ outcome, actor, reason, tenantId, userKey, details }) => ({
        outcome,
        actor,
        reason,
        tenantId,
        userKey,
        details,
      })),
    ).toEqual([
      {
        outcome: "error",
        actor: "operator",
        reason: "invalid_request",
        tenantId: undefined,
        userKey: undefined,
        details: { route: "GET /admin/audit", ip },
      },
      {
        outcome: "success",
        actor: "operator",
        reason: undefined,
        tenantId: tenant,
        userKey,
        details: {
          filter: `tenant=${tenant} user=${userKey} kind=token from=2026-11-01T00:00:00.000Z to=2026-11-02T23:00:00.000Z`,
          count: 1,
          route: "GET /admin/audit",
          ip,
        },
      },
    ]);
    // A read without a filter says so.
    const ip2 = newAddress();
    expect((await admin("/admin/audit?limit=1", from(ip2))).status).toBe(200);
    const unfiltered = await waitForAudit({ kind: "operator.audit_read" }, (found) => found.some((e) => e.details.ip === ip2));
    expect(unfiltered.find((e) => e.details.ip === ip2)?.details).toEqual({ filter: "none", count: 1, route: "GET /admin/audit", ip: ip2 });
  });

  it.each<[string, RegExp | string]>([
    ["tenant=contoso.onmicrosoft.com", /^tenant: "contoso\.onmicrosoft\.com" is not a tenant id; expected an Entra tenant id/],
    ["tenant=", /^tenant: "" is not a tenant id/],
    ["user=alice@contoso.example", /^user: "alice@contoso\.example" is not a user key\. A user key is entra\.<tenant id>\.<object id>/],
    [
      "kind=token.stolen",
      `kind: "token.stolen" is neither an event kind nor a group; expected a group (${AUDIT_CATEGORIES.join(", ")}) or a kind (${AUDIT_KINDS.join(", ")})`,
    ],
    ["kind=TOKEN", /^kind: "TOKEN" is neither an event kind nor a group/],
    ["from=yesterday", /^from: "yesterday" is not a date-time; expected ISO 8601 with a time zone, such as 2026-11-29T08:00:00Z/],
    ["from=2026-11-29T08:00:00", /^from: "2026-11-29T08:00:00" is not a date-time; expected ISO 8601 with a time zone/],
    ["to=2026-11-29", /^to: "2026-11-29" is not a date-time/],
    ["to=2026-02-30T00:00:00Z", /^to: "2026-02-30T00:00:00Z" is not a date-time/],
    ["from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", /^to: must be later than from \(from is inclusive, to exclusive\)$/],
    ["from=2026-11-02T00:00:00Z&to=2026-11-02T00:00:00Z", /^to: must be later than from/],
    ["limit=0", /^limit: "0" is not a page size; expected a whole number from 1 to 500 \(default 100\)$/],
    ["limit=501", /^limit: "501" is not a page size; expected a whole number from 1 to 500/],
    ["limit=ten", /^limit: "ten" is not a page size/],
    ["limit=2.5", /^limit: "2\.5" is not a page size/],
    ["cursor=bm9wZQ", /^cursor: The cursor is not one this server gave out; start again without it\. \(give back the nextCursor/],
    ["cursor=%%%", /^cursor: The cursor is not one this server gave out/],
    [
      "tenants=3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11",
      /^"tenants" is not a parameter of GET \/admin\/audit; it takes tenant, user, kind, from, to, limit, cursor$/,
    ],
    ["since=24h", /^"since" is not a parameter of GET \/admin\/audit/],
    ["kind=token&kind=mcp", /^kind: given 2 times; give it once$/],
    ["limit=0&kind=nope", /^kind: "nope" is neither an event kind nor a group; .*; limit: "0" is not a page size/],
  ])("refuses %s with a 400 naming the parameter", async (query, message) => {
    const res = await admin(`/admin/audit?${query}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe("invalid_request");
    if (typeof message === "string") expect(body.message).toBe(message);
    else expect(body.message).toMatch(message);
  });

  it("accepts a cursor it gave out with another limit, and refuses one that was tampered with", async () => {
    const tenant = crypto.randomUUID();
    await new AuditStore(env.DB).insert([
      fixture({ tenantId: tenant }, T0),
      fixture({ tenantId: tenant }, T0 + 1),
      fixture({ tenantId: tenant }, T0 + 2),
    ]);
    const first = await readAudit({ tenant, limit: "1" });
    const cursor = first.body.nextCursor ?? "";
    expect(cursor).not.toBe("");
    expect((await readAudit({ tenant, limit: "5", cursor })).body.events).toHaveLength(2);
    const tampered = await readAudit({ tenant, cursor: `${cursor.slice(0, -4)}AAAA` });
    expect(tampered.res.status).toBe(400);
    expect(tampered.body.message).toMatch(/^cursor: /);
  });
});

describe("secrets", WAITS, () => {
  it("no operator secret, client secret or presented secret is in any event", async () => {
    // Wait for this file's last events to land before reading everything.
    await waitForAudit({ kind: "operator.unauthorized" }, (found) => found.length >= 5);
    const text = await allAuditText();
    expect(text).toContain("operator.client_created");
    expect(text).not.toContain(env.OPERATOR_SECRET);
    expect(secretsSeen.length).toBeGreaterThanOrEqual(5);
    for (const secret of secretsSeen) expect(text).not.toContain(secret);
  });
});
