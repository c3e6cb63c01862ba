import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { agentServices, BOOKMARK_KEY, type BookmarkStorage, createServices, keepBookmark, type Services } from "../../src/data/services";
import type { ToolContext } from "../../src/mcp/catalog";
import { catalog } from "../../src/mcp/tools";
import { countRoundTrips } from "../helpers/d1-count";
import { LEGACY_HEADERS, postMcp } from "../helpers/mcp";
import { config, mintToken, newIdentity } from "../helpers/oauth";

/**
 * Reads go through a D1 session (the Sessions API), so a deployment with read replication serves
 * them from a nearby replica; the user's agent keeps the newest bookmark, so what the user saved
 * is seen by their next request even when a replica that has not caught up serves it. Locally
 * there is one database and no replica: these tests check the plumbing (one session per request,
 * started where the last one ended, bookmarks kept and never moved back), not replica lag.
 */

let addressId: string;
beforeAll(async () => {
  const row = await env.DB.prepare("SELECT id FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT 1 OFFSET 40").first<{ id: string }>();
  if (!row) throw new Error("no seeded address");
  addressId = row.id;
});

const identity = newIdentity();

function toolContext(services: Services): ToolContext {
  return {
    caller: { identity, scopes: ["mcp:read", "mcp:write"], clientId: "sessions", requestId: "sessions" },
    services,
    progress: { enabled: false, report: async () => {} },
    signal: new AbortController().signal,
    protocolVersion: "2026-07-28",
    rpcId: 1,
    jobs: undefined as never,
  };
}

async function call(services: Services, name: string, args: Record<string, unknown>): Promise<unknown> {
  const tool = catalog.get(name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool.run(tool.input.parse(args), toolContext(services));
}

describe("one D1 session per request", () => {
  it("sends every property and assessment query of a request through one session, from any replica when no bookmark is known", async () => {
    const { db, trips } = countRoundTrips(env.DB);
    const services = createServices(config, { ...env, DB: db });
    await call(services, "Get_Property_Data", { addressId });
    await call(services, "Quick_Assess_Property", { addressId });
    await call(services, "Get_Assessed_Properties", {});
    expect(trips.sessions).toEqual(["first-unconstrained"]);
    expect(trips.count).toBeGreaterThan(0);
    expect(
      trips.log.filter((t) => t.via !== "session"),
      trips.describe(),
    ).toEqual([]);
    expect(services.bookmark()).toEqual(expect.any(String));
  });

  it("starts from the bookmark it is given, and reads what the earlier session wrote", async () => {
    const first = createServices(config, env);
    const { assessmentId } = (await call(first, "Quick_Assess_Property", { addressId })) as { assessmentId: string };
    const bookmark = first.bookmark();
    expect(bookmark).not.toBeNull();
    const { db, trips } = countRoundTrips(env.DB);
    const next = createServices(config, { ...env, DB: db }, { bookmark });
    const found = (await call(next, "Get_Property_Assessments", { assessmentId })) as { assessments: Array<{ assessmentId: string }> };
    expect(trips.sessions).toEqual([bookmark]);
    expect(found.assessments.map((a) => a.assessmentId)).toEqual([assessmentId]);
  });
});

describe("the agent's bookmark", () => {
  it("is what the user's agent keeps when a tool saves through the Worker", async () => {
    const user = newIdentity();
    const { accessToken } = await mintToken(user, ["mcp:read", "mcp:write"]);
    const stub = env.MCP_AGENT.getByName(user.userKey);
    expect(await runInDurableObject(stub, (_agent, state) => state.storage.get<string>(BOOKMARK_KEY))).toBeUndefined();
    const call = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "Quick_Assess_Property", arguments: { addressId } } };
    const res = await postMcp(accessToken, call, LEGACY_HEADERS);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("assessmentId");
    expect(await runInDurableObject(stub, (_agent, state) => state.storage.get<string>(BOOKMARK_KEY))).toEqual(expect.any(String));
  });

  it("is kept when an assessment is saved, and the next request starts from it and lists the assessment", async () => {
    const stub = env.MCP_AGENT.getByName(`sessions-${crypto.randomUUID()}`);
    const { db, trips } = countRoundTrips(env.DB);
    const result = await runInDurableObject(stub, async (_agent, state) => {
      const first = await agentServices(config, { ...env, DB: db }, state.storage);
      const before = await state.storage.get<string>(BOOKMARK_KEY);
      const { assessmentId } = (await call(first, "Quick_Assess_Property", { addressId })) as { assessmentId: string };
      // Kept by the save itself, before the tool answered (a streamed answer may end later).
      const kept = await state.storage.get<string>(BOOKMARK_KEY);
      const second = await agentServices(config, { ...env, DB: db }, state.storage);
      const listed = (await call(second, "Get_Assessed_Properties", { pageSize: 100 })) as { properties: Array<{ assessmentId: string }> };
      return { before, kept, assessmentId, listed: listed.properties.map((p) => p.assessmentId) };
    });
    expect(result.before).toBeUndefined();
    expect(result.kept).toEqual(expect.any(String));
    expect(trips.sessions).toEqual(["first-unconstrained", result.kept]);
    expect(result.listed).toContain(result.assessmentId);
  });

  it("is kept when a portfolio batch saves its assessments, and deleting keeps it too", async () => {
    const stub = env.MCP_AGENT.getByName(`sessions-${crypto.randomUUID()}`);
    const kept = await runInDurableObject(stub, async (_agent, state) => {
      const services = await agentServices(config, env, state.storage);
      await services.assessments.saveAllOnce([
        {
          id: crypto.randomUUID(),
          ownerKey: identity.userKey,
          tenantId: identity.tenantId,
          ownerName: null,
          ownerEmail: null,
          addressId,
          addressLabel: "label",
          engineVersion: "test",
          jobId: "job",
          inputs: {},
          result: {} as never,
        },
      ]);
      const afterSave = await state.storage.get<string>(BOOKMARK_KEY);
      const saved = await services.assessments.save({
        ownerKey: identity.userKey,
        tenantId: identity.tenantId,
        ownerName: null,
        ownerEmail: null,
        addressId,
        addressLabel: "label",
        engineVersion: "test",
        jobId: null,
        inputs: {},
        result: {} as never,
      });
      await services.assessments.delete(identity.userKey, saved.id);
      return { afterSave, afterDelete: await state.storage.get<string>(BOOKMARK_KEY), session: services.bookmark() };
    });
    expect(kept.afterSave).toEqual(expect.any(String));
    expect(kept.afterDelete).toBe(kept.session);
    expect((kept.afterDelete ?? "") >= (kept.afterSave ?? "")).toBe(true);
  });

  it("never moves back: an older bookmark does not replace a newer one", async () => {
    const stored = new Map<string, unknown>();
    const storage = {
      get: async (key: string) => stored.get(key),
      put: async (key: string, value: unknown) => {
        stored.set(key, value);
      },
    } as unknown as BookmarkStorage;
    const older = "00000085-0000024c-00004c6d-8e611177d83f7fb2f0396d0847be2cc6";
    const newer = "00000085-0000024c-00004c6e-0a83ea2fceebc654de0640c422be4653";
    await keepBookmark(storage, newer);
    await keepBookmark(storage, older);
    await keepBookmark(storage, null);
    expect(stored.get(BOOKMARK_KEY)).toBe(newer);
    // A new request of this agent starts from the newest.
    const { db, trips } = countRoundTrips(env.DB);
    await agentServices(config, { ...env, DB: db }, storage);
    expect(trips.sessions).toEqual([newer]);
  });
});
