import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Caller } from "../src/mcp/caller";
import { servedInWorker } from "../src/mcp/gateway";
import { catalog } from "../src/mcp/tools";
import { auditEvents } from "./helpers/audit";
import { LEGACY_HEADERS, postMcp, readMessages, structuredOf } from "./helpers/mcp";
import { config, MCP_URL, mintToken, newIdentity } from "./helpers/oauth";

/**
 * Which side answers a request: the Worker itself for `tools/list` and the stateless read-only
 * tools, the user's agent (Durable Object) for everything else (src/mcp/gateway.ts,
 * `servedInWorker`). A Worker-served call never reaches the agent, stores its audit event in D1
 * before it answers, and answers with the very bytes the agent would; a user's write, made in the
 * agent, is seen by their next read.
 */

const MODERN = { "mcp-protocol-version": "2026-07-28" };
const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "worker-path-test", version: "1.0.0" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

let seeded: { id: string; postcode: string; house_number: number };

beforeAll(async () => {
  const row = await env.DB.prepare(
    `SELECT a.id, a.postcode, a.house_number FROM addresses a WHERE a.is_synthetic = 1 AND a.neighbourhood_code IS NOT NULL
       AND EXISTS (SELECT 1 FROM energy_labels l WHERE l.unit_id = a.unit_id) ORDER BY a.id LIMIT 1`,
  ).first<typeof seeded>();
  if (!row) throw new Error("no seeded address");
  seeded = row;
});

/** Whether the user's agent Durable Object exists (has ever been created). */
async function agentExists(userKey: string): Promise<boolean> {
  const id = env.MCP_AGENT.idFromName(userKey).toString();
  return (await listDurableObjectIds(env.MCP_AGENT)).some((known) => known.toString() === id);
}

/** The message of each kind the Worker serves, as a client of `era` sends it. */
function workerServed(era: "2025-11-25" | "2026-07-28"): Array<{ message: Record<string, unknown>; headers: Record<string, string> }> {
  const calls: Array<[string, Record<string, unknown>]> = [
    ["Get_Server_Info", {}],
    ["Get_Property_Data", { addressId: seeded.id }],
    ["Get_Property_Energy_Label", { addressId: seeded.id }],
    ["Analyze_Property_Location", { addressId: seeded.id }],
    ["Calculate_Rent_Points", { addressId: seeded.id, wozValue: 250000 }],
    ["Get_Addresses_for_Postcode", { postcode: seeded.postcode }],
    ["Search_Addresses", { query: `${seeded.postcode} ${seeded.house_number}` }],
    // Refused by the SDK (invalid arguments) and by the tool (an unknown address): same answers, same records.
    ["Get_Property_Data", { addressId: 42 }],
    ["Get_Property_Data", { addressId: "0000000000000000" }],
  ];
  const meta = era === "2026-07-28" ? { _meta: MODERN_META } : {};
  const base = era === "2026-07-28" ? MODERN : LEGACY_HEADERS;
  return [
    { message: { jsonrpc: "2.0", id: 7, method: "tools/list", params: { ...meta } }, headers: { ...base, "mcp-method": "tools/list" } },
    ...calls.map(([name, args], i) => ({
      message: { jsonrpc: "2.0", id: 100 + i, method: "tools/call", params: { name, arguments: args, ...meta } },
      headers: {
        ...base,
        "mcp-method": "tools/call",
        "mcp-name": name,
        // A 2026-07-28 client mirrors the x-mcp-header argument (SEP-2243), as the value it sends.
        ...(era === "2026-07-28" && args.addressId !== undefined && { "mcp-param-address-id": String(args.addressId) }),
      },
    })),
  ];
}

describe("the Worker serves tools/list and stateless read-only tools itself", () => {
  it("routes exactly the stateless read-only tools and tools/list; every other tool, initialize and tasks go to the agent", () => {
    const stateless = catalog
      .all()
      .filter((tool) => servedInWorker({ method: "tools/call", params: { name: tool.name } }))
      .map((tool) => tool.name);
    expect(stateless.sort()).toEqual(
      [
        "Analyze_Property_Location",
        "Calculate_Rent_Points",
        "Get_Addresses_for_Postcode",
        "Get_Property_Data",
        "Get_Property_Energy_Label",
        "Get_Server_Info",
        "Search_Addresses",
      ].sort(),
    );
    for (const name of stateless) {
      const tool = catalog.get(name);
      expect(tool?.annotations.readOnlyHint).toBe(true);
      expect(tool?.task).toBeUndefined();
    }
    for (const method of ["tools/list", "prompts/list", "prompts/get", "completion/complete", "resources/templates/list"]) {
      expect(servedInWorker({ method, params: {} })).toBe(true);
    }
    // The user's resources are read where their portfolio jobs are: in the agent.
    for (const method of [
      "initialize",
      "notifications/initialized",
      "notifications/cancelled",
      "tasks/get",
      "tasks/list",
      "ping",
      "resources/list",
      "resources/read",
    ]) {
      expect(servedInWorker({ method, params: {} })).toBe(false);
    }
    expect(servedInWorker({ method: "tools/call", params: { name: "No_Such_Tool" } })).toBe(false);
  });

  for (const era of ["2025-11-25", "2026-07-28"] as const) {
    it(`answers ${era} requests without the agent, with the agent's bytes, each call's event in D1 before the answer`, async () => {
      const identity = newIdentity({ roles: ["Reader"] });
      const { accessToken, clientId } = await mintToken(identity, ["mcp:read"]);
      const requests = workerServed(era);
      const answers: Array<{ status: number; headers: string[][]; body: string; requestId: string }> = [];
      for (const { message, headers } of requests) {
        // A 2025-era client may still send the session id an older server gave it; it changes nothing.
        const sent = era === "2025-11-25" ? { ...headers, "mcp-session-id": "an-old-session" } : headers;
        const res = await postMcp(accessToken, message, sent);
        const body = await res.text();
        answers.push({ status: res.status, headers: [...res.headers], body, requestId: res.headers.get("x-request-id") ?? "" });
        if (message.method === "tools/call") {
          // In D1 as soon as the answer is read: no outbox, no alarm, no queue in between.
          const stored = await auditEvents({ userKey: identity.userKey, kind: "mcp.tool_call" });
          expect(stored.map((e) => e.details.requestId)).toContain(answers.at(-1)?.requestId);
        }
      }
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(await agentExists(identity.userKey)).toBe(false);
      const stored = await auditEvents({ userKey: identity.userKey, kind: "mcp.tool_call" });
      expect(stored.map((e) => [e.details.tool, e.outcome, e.reason, e.clientId]).reverse()).toEqual([
        ["Get_Server_Info", "success", undefined, clientId],
        ["Get_Property_Data", "success", undefined, clientId],
        ["Get_Property_Energy_Label", "success", undefined, clientId],
        ["Analyze_Property_Location", "success", undefined, clientId],
        ["Calculate_Rent_Points", "success", undefined, clientId],
        ["Get_Addresses_for_Postcode", "success", undefined, clientId],
        ["Search_Addresses", "success", undefined, clientId],
        ["Get_Property_Data", "error", "invalid_arguments", clientId],
        ["Get_Property_Data", "error", "tool_error", clientId],
      ]);

      // The same requests, handed to the user's agent as the gateway hands them: the same answers.
      const info = structuredOf((await readMessages(new Response(answers[1]?.body, { headers: answers[1]?.headers })))[0]) as {
        scopes: string[];
      };
      const caller: Caller = { identity, scopes: info.scopes, clientId, requestId: "compare" };
      const agent = env.MCP_AGENT.getByName(identity.userKey);
      for (const [i, { message, headers }] of requests.entries()) {
        const forwarded = new Request(config.mcpResource, {
          method: "POST",
          headers: {
            host: new URL(MCP_URL).host,
            accept: "application/json, text/event-stream",
            "content-type": "application/json",
            ...headers,
          },
          body: JSON.stringify(message),
        });
        const fromAgent = await agent.serveMcp(forwarded, message, caller);
        const expected = answers[i];
        // The Worker's entry adds its own two (the request id, and Vary for the Origin policy) to whichever answer.
        const own = new Set(["x-request-id", "vary"]);
        expect({ status: fromAgent.status, headers: [...fromAgent.headers], body: await fromAgent.text() }).toEqual({
          status: expected?.status,
          headers: expected?.headers.filter(([name]) => !own.has(name ?? "")),
          body: expected?.body,
        });
      }
    });
  }

  it("lets a user read their own write at once: saved in the agent, listed by the next call, whatever the Worker served between", async () => {
    const identity = newIdentity();
    const { accessToken } = await mintToken(identity, ["mcp:read", "mcp:write"]);
    const call = async (name: string, args: Record<string, unknown>) => {
      const res = await postMcp(
        accessToken,
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } },
        LEGACY_HEADERS,
      );
      expect(res.status).toBe(200);
      return structuredOf((await readMessages(res))[0]) as Record<string, unknown>;
    };
    const saved = await call("Quick_Assess_Property", { addressId: seeded.id });
    expect(saved.assessmentId).toEqual(expect.any(String));
    expect(await agentExists(identity.userKey)).toBe(true);
    // Served by the Worker, on a session of its own: it neither needs nor moves the user's bookmark.
    expect(((await call("Get_Property_Data", { addressId: seeded.id })).address as { addressId: string }).addressId).toBe(seeded.id);
    const listed = await call("Get_Assessed_Properties", {});
    expect(listed.total).toBe(1);
    expect((listed.properties as Array<{ assessmentId: string }>)[0]?.assessmentId).toBe(saved.assessmentId);
    const mine = await call("Get_Property_Assessments", { addressId: seeded.id });
    expect(JSON.stringify(mine)).toContain(String(saved.assessmentId));
  });
});
