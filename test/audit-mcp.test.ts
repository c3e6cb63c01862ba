import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type AuditEvent, type AuditInput, completeEvent } from "../src/audit/events";
import { AuditStore } from "../src/audit/store";
import type { Identity } from "../src/auth/identity";
import { SCOPE_READ } from "../src/auth/scopes";
import type { ToolSpec } from "../src/mcp/catalog";
import { catalog } from "../src/mcp/tools";
import { allAuditText, auditEvents, waitForAudit } from "./helpers/audit";
import { connectClient, type Era, LEGACY_HEADERS, postMcp, readMessages, structuredOf } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";
import { installProbeTools } from "./helpers/probe-tools";

/**
 * The audit trail of MCP tool calls, through the real Worker, gateway, agent and AUDIT_QUEUE:
 * every tools/call is one `mcp.tool_call` event (success, error, failure or the gateway's
 * refusals) that keeps the BAG address id and nothing else of the arguments; and an Admin reads
 * their own tenant's trail with Get_Audit_Log. Each test uses tenants and users of its own, so
 * the events of one never count in another.
 */

const ADDRESS_ID = "0307200000466386";

/** A tool that finds an address by postcode (as the property tools do) after 30 ms, to show the result's id and the duration are kept. */
const addressProbe: ToolSpec<z.ZodObject<{ postcode: z.ZodString }>, z.ZodObject<{ address: z.ZodObject<{ addressId: z.ZodString }> }>> = {
  name: "Test_Address_Probe",
  title: "Address probe (tests only)",
  description: "Answers any postcode with one address.",
  input: z.object({ postcode: z.string() }),
  output: z.object({ address: z.object({ addressId: z.string() }) }),
  annotations: { readOnlyHint: true },
  requiredScopes: [SCOPE_READ],
  async run() {
    await new Promise((resolve) => setTimeout(resolve, 30));
    return { address: { addressId: ADDRESS_ID } };
  },
  render: (r) => r.address.addressId,
};

/** Every access token this file minted: none may ever appear in the trail. */
const tokens: string[] = [];

beforeAll(() => {
  installProbeTools();
  if (!catalog.get(addressProbe.name)) catalog.add(addressProbe);
});

function freshTenant(): string {
  return `tenant-${crypto.randomUUID()}`;
}

async function tokenFor(identity: Identity, scopes = [SCOPE_READ]): Promise<{ token: string; clientId: string }> {
  const minted = await mintToken(identity, scopes);
  tokens.push(minted.accessToken);
  return { token: minted.accessToken, clientId: minted.clientId };
}

interface Called {
  status: number;
  requestId: string;
  message: Record<string, unknown> | undefined;
}

/** One tools/call posted raw as a 2025-11-25 client, with extra headers. */
async function callTool(
  token: string,
  name: string,
  args?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Called> {
  const params = { name, ...(args !== undefined && { arguments: args }) };
  const res = await postMcp(token, { jsonrpc: "2.0", id: 7, method: "tools/call", params }, { ...LEGACY_HEADERS, ...headers });
  const requestId = res.headers.get("x-request-id") ?? "";
  if (res.status !== 200) {
    await res.arrayBuffer();
    return { status: res.status, requestId, message: undefined };
  }
  return { status: res.status, requestId, message: (await readMessages(res))[0] };
}

/** The text of a tools/call result, or the JSON-RPC error's message. */
function textOf(called: Called): string {
  const result = called.message?.result as { content?: Array<{ text?: string }> } | undefined;
  const error = called.message?.error as { message?: string } | undefined;
  return result?.content?.map((c) => c.text ?? "").join("\n") ?? error?.message ?? "";
}

function errorMessage(messages: Array<Record<string, unknown>>): string {
  return (messages[0]?.error as { message?: string } | undefined)?.message ?? "";
}

function isError(called: Called): boolean {
  return (called.message?.result as { isError?: boolean } | undefined)?.isError === true || called.message?.error !== undefined;
}

/** The user's tool-call events, oldest first, once there are at least `count`. */
async function toolCalls(identity: Identity, count: number): Promise<AuditEvent[]> {
  const events = await waitForAudit(
    { tenantId: identity.tenantId, userKey: identity.userKey, kind: "mcp.tool_call" },
    (found) => found.length >= count,
  );
  return events.reverse();
}

/**
 * The user's tool-call events after a marker call (Get_Server_Info) made after everything else
 * has been recorded: whatever the earlier calls sent has arrived by then, so the events before
 * the marker are all there will be.
 */
async function settledToolCalls(identity: Identity, token: string, expected: number): Promise<AuditEvent[]> {
  const marker = await callTool(token, "Get_Server_Info", {});
  expect(marker.status).toBe(200);
  const events = await toolCalls(identity, expected + 1);
  const last = events.at(-1);
  expect(last?.details.requestId).toBe(marker.requestId);
  return events.slice(0, -1);
}

describe.concurrent("every MCP tools/call is one audit event", () => {
  it("records a success with user, tenant, client, tool, duration, request id and Blockbrain's correlation headers", async () => {
    const identity = newIdentity({ tenantId: freshTenant() });
    const { token, clientId } = await tokenFor(identity);
    const called = await callTool(
      token,
      "Test_Address_Probe",
      { postcode: "1234 AB" },
      { "X-Agent-ID": "agent-42", "X-Thread-ID": "thread\t7", "X-Data-Room-ID": `room-${"x".repeat(300)}` },
    );
    expect(called.status).toBe(200);
    expect(isError(called)).toBe(false);
    const [event, ...more] = await toolCalls(identity, 1);
    expect(more).toEqual([]);
    expect(event).toEqual({
      id: expect.any(String),
      at: expect.any(Number),
      kind: "mcp.tool_call",
      outcome: "success",
      actor: "user",
      tenantId: identity.tenantId,
      userKey: identity.userKey,
      clientId,
      details: {
        tool: "Test_Address_Probe",
        durationMs: expect.any(Number),
        requestId: called.requestId,
        addressId: ADDRESS_ID,
        agentId: "agent-42",
        threadId: "thread7",
        dataRoomId: `room-${"x".repeat(123)}`,
      },
    });
    expect(event?.details.durationMs).toBeGreaterThanOrEqual(30);
    expect(Number.isInteger(event?.details.durationMs)).toBe(true);
    expect(Math.abs((event?.at ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it("records a call without arguments or correlation headers with none of their fields", async () => {
    const identity = newIdentity({ tenantId: freshTenant() });
    const { token } = await tokenFor(identity);
    const called = await callTool(token, "Get_Assessed_Properties", undefined, { "X-Agent-ID": " \t " });
    expect(isError(called), textOf(called)).toBe(false);
    const events = await settledToolCalls(identity, token, 1);
    expect(events.map((e) => [e.outcome, e.details])).toEqual([
      ["success", { tool: "Get_Assessed_Properties", durationMs: expect.any(Number), requestId: called.requestId }],
    ]);
  });

  it("records an error the person can fix as error tool_error, keeping the address id argument", async () => {
    const identity = newIdentity({ tenantId: freshTenant() });
    const { token } = await tokenFor(identity);
    const called = await callTool(token, "Get_Property_Assessments", { addressId: ` ${ADDRESS_ID} ` });
    expect(isError(called)).toBe(true);
    expect(textOf(called)).toContain(`No address with BAG id ${ADDRESS_ID} is known`);
    const events = await settledToolCalls(identity, token, 1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: "error", reason: "tool_error" });
    expect(events[0]?.details).toEqual({
      tool: "Get_Property_Assessments",
      durationMs: expect.any(Number),
      requestId: called.requestId,
      addressId: ADDRESS_ID,
    });
  });

  it("records an unexpected error as failure unexpected_error, without its message", async () => {
    const identity = newIdentity({ tenantId: freshTenant() });
    const { token } = await tokenFor(identity);
    const called = await callTool(token, "Test_Unexpected_Failure", {});
    expect(textOf(called)).toContain("failed unexpectedly");
    const [event] = await toolCalls(identity, 1);
    expect(event).toMatchObject({ outcome: "failure", reason: "unexpected_error", details: { tool: "Test_Unexpected_Failure" } });
    expect(await allAuditText()).not.toContain("hunter2");
  });

  it("records invalid arguments as error invalid_arguments, exactly once, while the SDK still answers", async () => {
    const identity = newIdentity({ tenantId: freshTenant() });
    const { token } = await tokenFor(identity);
    const called = await callTool(token, "Get_Assessed_Properties", { page: 0 });
    expect(isError(called)).toBe(true);
    expect(textOf(called)).toContain("Invalid arguments for tool Get_Assessed_Properties");
    const events = await settledToolCalls(identity, token, 1);
    expect(events.map((e) => [e.outcome, e.reason, e.details])).toEqual([
      ["error", "invalid_arguments", { tool: "Get_Assessed_Properties", requestId: called.requestId }],
    ]);
  });

  it("records an unknown tool as error unknown_tool, exactly once", async () => {
    const identity = newIdentity({ tenantId: freshTenant() });
    const { token } = await tokenFor(identity);
    const called = await callTool(token, "No_Such_Tool", {});
    expect(called.message?.error).toEqual({ code: -32602, message: "Tool No_Such_Tool not found" });
    const events = await settledToolCalls(identity, token, 1);
    expect(events.map((e) => [e.outcome, e.reason, e.details])).toEqual([
      ["error", "unknown_tool", { tool: "No_Such_Tool", requestId: called.requestId }],
    ]);
  });

  it("records a write tool called with a read-only token as denied insufficient_scope, before the agent", async () => {
    const identity = newIdentity({ tenantId: freshTenant() });
    const { token, clientId } = await tokenFor(identity);
    const called = await callTool(token, "Delete_Property_Assessment", { assessmentId: crypto.randomUUID() }, { "X-Thread-ID": "t-1" });
    expect(called.status).toBe(403);
    const events = await settledToolCalls(identity, token, 1);
    expect(events).toEqual([
      {
        id: expect.any(String),
        at: expect.any(Number),
        kind: "mcp.tool_call",
        outcome: "denied",
        actor: "user",
        reason: "insufficient_scope",
        tenantId: identity.tenantId,
        userKey: identity.userKey,
        clientId,
        details: { tool: "Delete_Property_Assessment", requestId: called.requestId, threadId: "t-1" },
      },
    ]);
  });

  it("records a request without the baseline scope as denied insufficient_scope (tool unknown without the body)", async () => {
    const identity = newIdentity({ tenantId: freshTenant() });
    const { token } = await tokenFor(identity, ["mcp:write"]);
    const called = await callTool(token, "Get_Server_Info", {});
    expect(called.status).toBe(403);
    const [event, ...more] = await toolCalls(identity, 1);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ outcome: "denied", reason: "insufficient_scope", details: { requestId: called.requestId } });
    expect(event?.details.tool).toBeUndefined();
  });

  it("records Get_Audit_Log called without the Admin role as denied missing_role", async () => {
    const identity = newIdentity({ tenantId: freshTenant(), roles: ["Reader"] });
    const { token } = await tokenFor(identity);
    const called = await callTool(token, "Get_Audit_Log", {});
    expect(textOf(called)).toContain("only available to users with the app role Admin");
    const events = await settledToolCalls(identity, token, 1);
    expect(events.map((e) => [e.outcome, e.reason, e.details])).toEqual([
      ["denied", "missing_role", { tool: "Get_Audit_Log", requestId: called.requestId }],
    ]);
  });

  it("keeps the BAG address id and no other argument: no postcode, house number, note or malformed id in any event", async () => {
    const identity = newIdentity({ tenantId: freshTenant() });
    const { token } = await tokenFor(identity, ["mcp:read", "mcp:write"]);
    const calls = [
      await callTool(token, "Get_Property_Data", { postcode: "9876 ZY", houseNumber: 77, houseLetter: "Q", houseNumberAddition: "bis" }),
      await callTool(token, "Get_Property_Data", { postcode: "9876ZY", houseNumber: "Z".repeat(25) }),
      await callTool(token, "Get_Property_Energy_Label", { addressId: "NL.IMBAG.nope" }),
      await callTool(token, "Get_Property_Assessments", { assessmentId: "private-note-3141" }),
      await callTool(token, "Test_Write_Probe", { note: "private-note-2718" }),
      await callTool(token, "Get_Property_Assessments", { addressId: ADDRESS_ID, postcode: "9876 ZY", houseNumber: 77 }),
    ];
    const events = await settledToolCalls(identity, token, calls.length);
    expect(events.map((e) => [e.details.tool, e.outcome, e.reason, e.details.addressId])).toEqual([
      ["Get_Property_Data", "error", "tool_error", undefined],
      ["Get_Property_Data", "error", "invalid_arguments", undefined],
      ["Get_Property_Energy_Label", "error", "tool_error", undefined],
      ["Get_Property_Assessments", "error", "tool_error", undefined],
      ["Test_Write_Probe", "success", undefined, undefined],
      ["Get_Property_Assessments", "error", "tool_error", ADDRESS_ID],
    ]);
    const text = await allAuditText();
    for (const secret of ["9876 ZY", "9876ZY", "ZZZZZZZZ", "IMBAG", "private-note", "postcode", "houseNumber", "houseLetter", "note"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("records a task-augmented tools/call: success once the task started, invalid arguments and refusals too", async () => {
    const identity = newIdentity({ tenantId: freshTenant() });
    const { token } = await tokenFor(identity, ["mcp:read", "mcp:write"]);
    const task = { ttl: 60_000 };
    const started = await postMcp(
      token,
      {
        jsonrpc: "2.0",
        id: 11,
        method: "tools/call",
        params: { name: "Assess_Portfolio", arguments: { addresses: [{ addressId: ADDRESS_ID }] }, task },
      },
      { ...LEGACY_HEADERS, "X-Agent-ID": "agent-task" },
    );
    const startedId = started.headers.get("x-request-id");
    const answer = (await readMessages(started))[0]?.result as { task?: { taskId: string; status: string } };
    expect(answer.task?.status).toBe("working");
    const invalid = await postMcp(
      token,
      { jsonrpc: "2.0", id: 12, method: "tools/call", params: { name: "Assess_Portfolio", arguments: { addresses: "all" }, task } },
      LEGACY_HEADERS,
    );
    expect(errorMessage(await readMessages(invalid))).toContain("Invalid arguments for Assess_Portfolio");
    const refused = await postMcp(
      token,
      { jsonrpc: "2.0", id: 13, method: "tools/call", params: { name: "Assess_Portfolio", arguments: { postcodes: ["9999 ZZ"] }, task } },
      LEGACY_HEADERS,
    );
    expect(errorMessage(await readMessages(refused))).toContain("No addresses are known at postcode");
    const events = await settledToolCalls(identity, token, 3);
    expect(events.map((e) => [e.details.tool, e.outcome, e.reason])).toEqual([
      ["Assess_Portfolio", "success", undefined],
      ["Assess_Portfolio", "error", "invalid_arguments"],
      ["Assess_Portfolio", "error", "tool_error"],
    ]);
    expect(events[0]?.details).toEqual({
      tool: "Assess_Portfolio",
      durationMs: expect.any(Number),
      requestId: startedId,
      agentId: "agent-task",
    });
  });

  describe.each<Era>(["2025-11-25", "2026-07-28"])("through the MCP SDK client (%s)", (era) => {
    it("records the tool calls only (not initialize or tools/list), once each, with the client's correlation headers", async () => {
      const identity = newIdentity({ tenantId: freshTenant() });
      const { token } = await tokenFor(identity);
      const client = await connectClient(token, era, { "X-Agent-ID": "bb-agent", "X-Data-Room-ID": "room-9" });
      await client.listTools();
      expect((await client.callTool({ name: "Get_Server_Info", arguments: {} })).isError).toBeFalsy();
      const invalid = await client
        .callTool({ name: "Get_Assessed_Properties", arguments: { pageSize: 1000 } })
        .catch((error: Error) => error);
      expect(invalid instanceof Error || invalid.isError === true).toBe(true);
      await expect(client.callTool({ name: "No_Such_Tool", arguments: {} })).rejects.toThrow(/No_Such_Tool/);
      await client.close();
      const events = await settledToolCalls(identity, token, 3);
      expect(events.map((e) => [e.details.tool, e.outcome, e.reason, e.details.agentId, e.details.dataRoomId])).toEqual([
        ["Get_Server_Info", "success", undefined, "bb-agent", "room-9"],
        ["Get_Assessed_Properties", "error", "invalid_arguments", "bb-agent", "room-9"],
        ["No_Such_Tool", "error", "unknown_tool", "bb-agent", "room-9"],
      ]);
    });
  });
});

describe("the rate limit", () => {
  /** Counted like any request, answered before the body is read (415), never recorded. */
  const cheap = (token: string) => postMcp(token, "x", { "content-type": "text/plain" });
  const serverInfo = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "Get_Server_Info", arguments: {} } };

  /** A fresh user driven over its limit; false when a window boundary let a request through. */
  async function attempt(): Promise<boolean> {
    const identity = newIdentity({ tenantId: freshTenant() });
    const { token, clientId } = await tokenFor(identity);
    let status = 0;
    for (let i = 0; i < 1000 && status !== 429; i += 1) {
      const res = await cheap(token);
      status = res.status;
      await res.arrayBuffer();
    }
    const refusals = [
      await postMcp(token, serverInfo, LEGACY_HEADERS),
      await postMcp(token, serverInfo, { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "Get_Server_Info" }),
      await postMcp(token, serverInfo, LEGACY_HEADERS),
    ];
    if (refusals.some((res) => res.status !== 429)) return false;
    const mine = { tenantId: identity.tenantId, userKey: identity.userKey };
    await waitForAudit({ ...mine, kind: "rate_limit" });
    // The queue delivers within its 2-second batch timeout: wait past it for anything more.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const exceeded = await auditEvents({ ...mine, kind: "rate_limit" });
    expect(exceeded.map((e) => [e.kind, e.outcome, e.reason, e.actor, e.clientId, e.details])).toEqual([
      ["rate_limit.exceeded", "denied", "rate_limited", "user", clientId, { limiter: "MCP_LIMITER", route: "POST /mcp" }],
    ]);
    expect(await auditEvents({ ...mine, kind: "mcp" })).toEqual([]);
    return true;
  }

  it("records going over the limit once per user and window, not each refused call", { timeout: 120_000 }, async () => {
    if (!(await attempt())) expect(await attempt()).toBe(true);
  });
});

describe.concurrent("Get_Audit_Log", () => {
  const BASE_TIME = Date.UTC(2026, 0, 10, 12, 0, 0);
  const MINUTE = 60_000;
  const WINDOW_END = new Date(BASE_TIME + 60 * MINUTE).toISOString();

  interface Trail {
    admin: Identity;
    token: string;
    alice: string;
    bob: string;
    /** The events stored for tenant A (a1 oldest … a7 newest) and tenant B. */
    a: Record<"a1" | "a2" | "a3" | "a4" | "a5" | "a6" | "a7", AuditEvent>;
    b: Record<"b1" | "b2" | "b3", AuditEvent>;
    /** Tenant A's event ids, newest first. */
    newestFirst: string[];
  }

  function stored(input: AuditInput, minutes: number): AuditEvent {
    const made = completeEvent(input, BASE_TIME + minutes * MINUTE);
    if ("problem" in made) throw new Error(made.problem);
    return made.event;
  }

  /** Two tenants' trails in D1 (written directly, as the consumer does), and an Admin of the first. */
  async function trail(): Promise<Trail> {
    const tenantA = freshTenant();
    const tenantB = freshTenant();
    const alice = `alice-${crypto.randomUUID()}`;
    const bob = `bob-${crypto.randomUUID()}`;
    const user = (userKey: string, tenantId = tenantA) => ({ actor: "user" as const, userKey, tenantId });
    const a = {
      a1: stored({ kind: "token.issued", outcome: "success", ...user(alice), actor: "client", clientId: "client-1" }, 1),
      a2: stored({ kind: "token.refreshed", outcome: "success", ...user(alice), actor: "client", clientId: "client-1" }, 2),
      a3: stored(
        {
          kind: "mcp.tool_call",
          outcome: "success",
          ...user(alice),
          details: { tool: "Get_Server_Info", durationMs: 3, addressId: ADDRESS_ID },
        },
        3,
      ),
      a4: stored(
        { kind: "mcp.tool_call", outcome: "error", reason: "tool_error", ...user(bob), details: { tool: "Get_Property_Data" } },
        4,
      ),
      a5: stored({ kind: "authorization.allowed", outcome: "success", ...user(bob), details: { scopes: ["mcp:read"] } }, 5),
      a6: stored({ kind: "token.revoked", outcome: "success", ...user(bob), actor: "client" }, 6),
      a7: stored(
        { kind: "mcp.tool_call", outcome: "denied", reason: "missing_role", ...user(alice), details: { tool: "Get_Audit_Log" } },
        7,
      ),
    };
    const b = {
      // The same user key in another tenant: still not tenant A's.
      b1: stored({ kind: "token.issued", outcome: "success", ...user(alice, tenantB), actor: "client" }, 3.5),
      b2: stored({ kind: "mcp.tool_call", outcome: "success", ...user(`carol-${crypto.randomUUID()}`, tenantB) }, 4.5),
      b3: stored({ kind: "token.refreshed", outcome: "success", ...user(`carol-${crypto.randomUUID()}`, tenantB) }, 1.5),
    };
    await new AuditStore(env.DB).insert([...Object.values(a), ...Object.values(b)]);
    const admin = newIdentity({ tenantId: tenantA, roles: ["Admin"] });
    const { token } = await tokenFor(admin);
    const newestFirst = [a.a7, a.a6, a.a5, a.a4, a.a3, a.a2, a.a1].map((event) => event.id);
    return { admin, token, alice, bob, a, b, newestFirst };
  }

  interface LogOut {
    tenantId: string;
    events: Array<{ id: string; at: string; kind: string; outcome: string; actor: string; details: Record<string, unknown> }>;
    nextCursor?: string;
  }

  async function read(t: Trail, args: Record<string, unknown>): Promise<LogOut> {
    const called = await callTool(t.token, "Get_Audit_Log", args);
    expect(isError(called), textOf(called)).toBe(false);
    const out = structuredOf(called.message) as LogOut;
    expect(out.tenantId).toBe(t.admin.tenantId);
    return out;
  }

  const ids = (out: LogOut) => out.events.map((e) => e.id);

  it("shows an Admin their own tenant's events only, whatever the arguments", async () => {
    const t = await trail();
    expect(ids(await read(t, { to: WINDOW_END }))).toEqual(t.newestFirst);
    // An argument naming another tenant is not part of the tool's input: it changes nothing.
    expect(ids(await read(t, { to: WINDOW_END, tenantId: t.b.b1.tenantId }))).toEqual(t.newestFirst);
    const all = ids(await read(t, {}));
    expect(all).toEqual(expect.arrayContaining(t.newestFirst));
    for (const other of Object.values(t.b)) expect(all).not.toContain(other.id);

    const called = await callTool(t.token, "Get_Audit_Log", { to: WINDOW_END });
    const text = textOf(called);
    expect(text.split("\n")).toHaveLength(8);
    expect(text).toContain(`7 audit event(s) of tenant ${t.admin.tenantId}, newest first:`);
    expect(text).toContain(
      `- 2026-01-10T12:03:00.000Z mcp.tool_call success by user (user ${t.alice}): tool=Get_Server_Info durationMs=3 addressId=${ADDRESS_ID}`,
    );

    // The admin's own reads are tool calls too, in the admin's tenant.
    const own = await waitForAudit(
      { tenantId: t.admin.tenantId, userKey: t.admin.userKey, kind: "mcp.tool_call" },
      (events) => events.length >= 4,
    );
    expect(own.map((e) => [e.details.tool, e.outcome])).toEqual(Array(4).fill(["Get_Audit_Log", "success"]));
  });

  it("returns each event's fields, its time as ISO text", async () => {
    const t = await trail();
    const out = await read(t, { to: WINDOW_END, kind: "token.issued" });
    expect(out).toEqual({
      tenantId: t.admin.tenantId,
      events: [
        {
          id: t.a.a1.id,
          at: "2026-01-10T12:01:00.000Z",
          kind: "token.issued",
          outcome: "success",
          actor: "client",
          userKey: t.alice,
          clientId: "client-1",
          details: {},
        },
      ],
    });
    const denied = await read(t, { to: WINDOW_END, kind: "mcp.tool_call", userKey: t.alice });
    expect(denied.events[0]).toEqual({
      id: t.a.a7.id,
      at: "2026-01-10T12:07:00.000Z",
      kind: "mcp.tool_call",
      outcome: "denied",
      actor: "user",
      userKey: t.alice,
      reason: "missing_role",
      details: { tool: "Get_Audit_Log" },
    });
  });

  it("filters by user, by kind and by group of kinds", async () => {
    const t = await trail();
    const { a } = t;
    expect(ids(await read(t, { to: WINDOW_END, userKey: t.alice }))).toEqual([a.a7.id, a.a3.id, a.a2.id, a.a1.id]);
    expect(ids(await read(t, { to: WINDOW_END, userKey: t.bob }))).toEqual([a.a6.id, a.a5.id, a.a4.id]);
    expect(ids(await read(t, { to: WINDOW_END, kind: "token" }))).toEqual([a.a6.id, a.a2.id, a.a1.id]);
    expect(ids(await read(t, { to: WINDOW_END, kind: "token.refreshed" }))).toEqual([a.a2.id]);
    expect(ids(await read(t, { to: WINDOW_END, kind: "mcp" }))).toEqual([a.a7.id, a.a4.id, a.a3.id]);
    expect(ids(await read(t, { to: WINDOW_END, kind: "mcp.tool_call", userKey: t.bob }))).toEqual([a.a4.id]);
    expect(ids(await read(t, { to: WINDOW_END, kind: "client" }))).toEqual([]);
    // A user of another tenant (or no one) finds nothing here.
    expect(ids(await read(t, { userKey: t.b.b2.userKey }))).toEqual([]);
  });

  it("filters by time: from inclusive, to exclusive, any time zone offset", async () => {
    const t = await trail();
    const { a } = t;
    expect(ids(await read(t, { from: "2026-01-10T12:02:00Z", to: "2026-01-10T12:05:00Z" }))).toEqual([a.a4.id, a.a3.id, a.a2.id]);
    expect(ids(await read(t, { from: "2026-01-10T14:02:00+02:00", to: "2026-01-10T13:05:00+01:00" }))).toEqual([a.a4.id, a.a3.id, a.a2.id]);
    expect(ids(await read(t, { from: "2026-01-10T12:06:00Z", to: WINDOW_END }))).toEqual([a.a7.id, a.a6.id]);
    expect(ids(await read(t, { to: "2026-01-10T12:01:00.001Z" }))).toEqual([a.a1.id]);
  });

  it("pages with a cursor: every event once, in order, no next cursor on the last page", async () => {
    const t = await trail();
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const out = await read(t, { to: WINDOW_END, limit: 2, ...(cursor !== undefined && { cursor }) });
      pages.push(ids(out));
      cursor = out.nextCursor;
    } while (cursor !== undefined && pages.length < 10);
    expect(pages).toEqual([t.newestFirst.slice(0, 2), t.newestFirst.slice(2, 4), t.newestFirst.slice(4, 6), t.newestFirst.slice(6)]);
    expect((await read(t, { to: WINDOW_END, limit: 7 })).nextCursor).toBeUndefined();
    const first = await read(t, { to: WINDOW_END, limit: 6 });
    expect(first.nextCursor).toEqual(expect.any(String));
    const rest = await read(t, { to: WINDOW_END, limit: 6, cursor: first.nextCursor });
    expect([...ids(first), ...ids(rest)]).toEqual(t.newestFirst);
    expect(rest.nextCursor).toBeUndefined();
    // With a user filter, the cursor continues within it.
    const alicePage = await read(t, { to: WINDOW_END, userKey: t.alice, limit: 3 });
    const aliceRest = await read(t, { to: WINDOW_END, userKey: t.alice, limit: 3, cursor: alicePage.nextCursor });
    expect([...ids(alicePage), ...ids(aliceRest)]).toEqual([t.a.a7.id, t.a.a3.id, t.a.a2.id, t.a.a1.id]);
  });

  it("refuses bad input with a clear error, changes nothing, and records each refusal", async () => {
    const t = await trail();
    const before = await auditEvents({ tenantId: t.admin.tenantId, to: BASE_TIME + 60 * MINUTE });
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ kind: "tokens" }, "kind", "invalid_arguments"],
      [{ kind: "token.stolen" }, "kind", "invalid_arguments"],
      [{ from: "2026-01-10T12:05:00Z", to: "2026-01-10T12:01:00Z" }, '"from" (2026-01-10T12:05:00Z) must be before "to"', "tool_error"],
      [{ from: "2026-01-10T12:05:00Z", to: "2026-01-10T12:05:00Z" }, "must be before", "tool_error"],
      [{ from: "yesterday" }, "from", "invalid_arguments"],
      [{ to: "2026-01-10T12:05:00" }, "to", "invalid_arguments"],
      [{ to: "2026-13-10T12:05:00Z" }, "to", "invalid_arguments"],
      [{ cursor: "not-a-cursor" }, "The cursor is not one this server gave out", "tool_error"],
      [{ cursor: btoa("1767960000000.zzzz").replace(/=+$/, "") }, "The cursor is not one this server gave out", "tool_error"],
      [{ limit: 0 }, "limit", "invalid_arguments"],
      [{ limit: 500 }, "limit", "invalid_arguments"],
      [{ limit: 2.5 }, "limit", "invalid_arguments"],
    ];
    const requestIds: string[] = [];
    for (const [args, message] of cases) {
      const called = await callTool(t.token, "Get_Audit_Log", args);
      expect(isError(called), JSON.stringify(args)).toBe(true);
      expect(textOf(called), JSON.stringify(args)).toContain(message);
      expect(called.message?.result, JSON.stringify(args)).not.toHaveProperty("structuredContent");
      requestIds.push(called.requestId);
    }
    const recorded = await settledToolCalls(t.admin, t.token, cases.length);
    expect(recorded.map((e) => [e.details.requestId, e.details.tool, e.outcome, e.reason])).toEqual(
      cases.map(([, , reason], i) => [requestIds[i], "Get_Audit_Log", "error", reason]),
    );
    expect(await auditEvents({ tenantId: t.admin.tenantId, to: BASE_TIME + 60 * MINUTE })).toEqual(before);
  });

  it("is described for clients: read-only, Admin only, every input explained", async () => {
    const spec = catalog.get("Get_Audit_Log");
    expect(spec?.requiredRoles).toEqual(["Admin"]);
    expect(spec?.requiredScopes).toEqual(["mcp:read"]);
    expect(spec?.annotations).toEqual({ readOnlyHint: true, openWorldHint: false, idempotentHint: true });
    const admin = newIdentity({ tenantId: freshTenant(), roles: ["Admin"] });
    const client = await connectClient((await tokenFor(admin)).token);
    const listed = (await client.listTools()).tools.find((tool) => tool.name === "Get_Audit_Log");
    await client.close();
    const properties = (listed?.inputSchema.properties ?? {}) as Record<string, { description?: string }>;
    expect(Object.keys(properties).sort()).toEqual(["cursor", "from", "kind", "limit", "to", "userKey"]);
    for (const [name, schema] of Object.entries(properties)) expect(schema.description, name).toBeTruthy();
    expect(listed?.inputSchema.required ?? []).toEqual([]);
  });
});

describe("secrets", () => {
  it("never stores a token in any event", async () => {
    expect(tokens.length).toBeGreaterThan(10);
    const text = await allAuditText();
    for (const token of tokens) {
      expect(text).not.toContain(token);
      // A token is "user:grant:secret"; the user key and grant id may be recorded, the secret never.
      expect(text).not.toContain(token.split(":").at(-1));
    }
  });
});
