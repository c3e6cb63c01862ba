import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { McpServer } from "@modelcontextprotocol/server";
import { createMcpHandler } from "agents/mcp/server";
import { beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../src/data/services";
import type { PortfolioJobs } from "../src/jobs/portfolio";
import type { Caller } from "../src/mcp/caller";
import { buildMcpServer, planFor } from "../src/mcp/server";
import { catalog } from "../src/mcp/tools";
import type { Era } from "./helpers/mcp";
import { mcpServerFromScratch } from "./helpers/mcp-server-from-scratch";
import { newIdentity } from "./helpers/oauth";
import { installProbeTools } from "./helpers/probe-tools";

/*
 * buildMcpServer plans what a kind of caller sees once per isolate and converts each tool's JSON
 * Schemas once. These tests hold it to what a server built from scratch for every request says
 * (./helpers/mcp-server-from-scratch.ts, the way it was built before), on both protocol eras and for grants that see
 * different tools, and check that the caller of each request is the one its tools see.
 */

beforeAll(() => installProbeTools());

const URL_ = "https://mcp.example.com/mcp";
const services = { provenance: { source: "synthetic" } } as Services;
const jobs = {} as PortfolioJobs;

async function connect(factory: (era: "legacy" | "modern") => McpServer, era: Era): Promise<Client> {
  const handler = createMcpHandler(({ era }) => factory(era), {
    route: "/mcp",
    allowedOriginHostnames: "*",
    corsOptions: false,
  });
  const client = new Client(
    { name: "plan-tests", version: "1.0.0" },
    era === "2026-07-28" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {},
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(URL_), { fetch: (url, init) => handler.fetch(new Request(url, init)) }));
  return client;
}

function callerWith(scopes: string[], roles: string[] = []): Caller {
  return { identity: newIdentity({ roles }), scopes, clientId: "client", requestId: crypto.randomUUID() };
}

const GRANTS: Array<[string, Caller]> = [
  ["read only", callerWith(["mcp:read"])],
  ["read and write", callerWith(["mcp:read", "mcp:write"])],
  ["read, Admin", callerWith(["mcp:read"], ["Admin"])],
  ["read and write, Admin", callerWith(["mcp:read", "mcp:write", "offline_access"], ["Admin", "Reader"])],
];

describe.each<Era>(["2025-11-25", "2026-07-28"])("the planned server on %s", (era) => {
  it.each(GRANTS)("lists exactly what a server built from scratch lists (%s)", async (_name, caller) => {
    const planned = await connect((e) => buildMcpServer({ catalog, caller, services, jobs, record: () => {}, era: e }), era);
    const scratch = await connect((e) => mcpServerFromScratch(catalog, caller, e), era);
    const [mine, theirs] = await Promise.all([planned.listTools(), scratch.listTools()]);
    expect(mine.tools.length).toBeGreaterThan(5);
    expect(JSON.parse(JSON.stringify(mine))).toEqual(JSON.parse(JSON.stringify(theirs)));
    // and again, now from the cache
    expect(JSON.parse(JSON.stringify(await planned.listTools()))).toEqual(JSON.parse(JSON.stringify(theirs)));
    // The tools' capabilities as before; prompts, resources and completion are src/mcp/prompts.ts and resources.ts.
    expect(planned.getServerCapabilities()).toEqual({
      ...scratch.getServerCapabilities(),
      prompts: { listChanged: false },
      resources: { listChanged: false },
      completions: {},
    });
    await Promise.all([planned.close(), scratch.close()]);
  });

  it("answers every call with that request's caller, never a cached one", async () => {
    const readOnly = callerWith(["mcp:read"]);
    const writer = callerWith(["mcp:read", "mcp:write"]);
    for (const caller of [readOnly, writer, readOnly]) {
      const client = await connect((e) => buildMcpServer({ catalog, caller, services, jobs, record: () => {}, era: e }), era);
      const result = await client.callTool({ name: "Get_Server_Info", arguments: {} });
      expect(result.structuredContent).toMatchObject({ user: { userKey: caller.identity.userKey }, scopes: caller.scopes });
      await client.close();
    }
  });

  it("refuses arguments the input schema rejects, with the SDK's message", async () => {
    const caller = callerWith(["mcp:read"]);
    const planned = await connect((e) => buildMcpServer({ catalog, caller, services, jobs, record: () => {}, era: e }), era);
    const scratch = await connect((e) => mcpServerFromScratch(catalog, caller, e), era);
    const call = { name: "Test_Progress_Probe", arguments: { steps: "many" } };
    const [mine, theirs] = await Promise.all([planned.callTool(call), scratch.callTool(call)]);
    expect(mine.isError).toBe(true);
    expect(mine.content).toEqual(theirs.content);
    await Promise.all([planned.close(), scratch.close()]);
  });
});

describe("planFor", () => {
  it("shares one plan between callers whose access checks agree, and never holds a caller", () => {
    const a = planFor(catalog, callerWith(["mcp:read"]), "legacy");
    const b = planFor(catalog, callerWith(["mcp:read", "offline_access"], ["Reader"]), "legacy");
    expect(b).toBe(a);
    expect(planFor(catalog, callerWith(["mcp:read"]), "modern")).not.toBe(a);
    expect(planFor(catalog, callerWith(["mcp:read", "mcp:write"]), "legacy")).not.toBe(a);
    expect(planFor(catalog, callerWith(["mcp:read"], ["Admin"]), "legacy")).not.toBe(a);
    expect(JSON.stringify(a.map((p) => p.config.description))).not.toContain("test-user-");
  });

  it("hides tools by role, and names the missing scope in the description", () => {
    const plan = planFor(catalog, callerWith(["mcp:read"]), "legacy");
    const names = plan.map((p) => p.tool.name);
    expect(names).not.toContain("Get_Audit_Log");
    expect(plan.find((p) => p.tool.name === "Quick_Assess_Property")?.config.description).toContain(
      "This connection has not been allowed mcp:write yet",
    );
    expect(plan.find((p) => p.tool.name === "Assess_Portfolio")?.task).toBe(true);
    expect(planFor(catalog, callerWith(["mcp:read"]), "modern").some((p) => p.task)).toBe(false);
  });

  it("is rebuilt when a tool is added to the catalog", () => {
    const before = planFor(catalog, callerWith(["mcp:read"]), "legacy");
    const name = `Test_Plan_Probe_${crypto.randomUUID().slice(0, 8)}`;
    const probe = catalog.get("Get_Server_Info");
    if (!probe) throw new Error("Get_Server_Info is not in the catalog");
    catalog.add({ ...probe, name });
    const after = planFor(catalog, callerWith(["mcp:read"]), "legacy");
    expect(after).not.toBe(before);
    expect(after.map((p) => p.tool.name)).toContain(name);
  });
});
