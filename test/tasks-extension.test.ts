import { env } from "cloudflare:workers";
import { createTaskSessionFromClient, type RawClientDispatch, resultFromTaskOutcome } from "@modelcontextprotocol/ext-tasks/client";
import { CreateTaskResultV2Schema, DetailedTaskV2Schema, hasTaskClientCapabilityV2 } from "@modelcontextprotocol/ext-tasks/core/v2";
import { describe, expect, it } from "vitest";
import { declaresTaskExtension, TASKS_CAPABILITY, TASKS_EXTENSION_ID } from "../src/mcp/tasks";
import { auditEvents, waitForAudit } from "./helpers/audit";
import { connectClient, postMcp, readMessages } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";

/**
 * MCP tasks per protocol revision, through the real Worker and the user's agent: the 2026-07-28
 * `io.modelcontextprotocol/tasks` extension driven by the extension's own requester
 * (`@modelcontextprotocol/ext-tasks`), raw where the requester would hide the wire, and which
 * task capability each revision and client declaration gets.
 */
const TIMEOUT = 120_000;
const MODERN = "2026-07-28";
const EXTENSION = { [TASKS_EXTENSION_ID]: {} };
const CLIENT_INFO = { name: "pandgate-tasks-tests", version: "1.0.0" };

type Rpc = { result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };

async function user(): Promise<string> {
  return (await mintToken(newIdentity(), ["mcp:read", "mcp:write"])).accessToken;
}

async function addressIds(count: number, offset: number): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT id FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT ?1 OFFSET ?2")
    .bind(count, offset)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

function portfolioArguments(ids: string[]) {
  return { addresses: ids.map((addressId) => ({ addressId })) };
}

/** The standard 2026-07-28 request headers for `method` (Mcp-Name: the tool's name or the task id). */
function modernHeaders(method: string, params: Record<string, unknown> = {}): Record<string, string> {
  const name = method === "tools/call" ? params.name : method.startsWith("tasks/") ? params.taskId : undefined;
  return {
    "mcp-protocol-version": MODERN,
    "mcp-method": method,
    ...(typeof name === "string" && { "mcp-name": name }),
  };
}

/** A 2026-07-28 request posted raw, its per-request capabilities declaring the extension or not. */
async function modern(
  token: string,
  method: string,
  params: Record<string, unknown>,
  extension: boolean,
): Promise<Rpc & { status: number }> {
  const _meta = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
    "io.modelcontextprotocol/clientCapabilities": extension ? { extensions: EXTENSION } : {},
  };
  const body = { jsonrpc: "2.0", id: Math.floor(Math.random() * 1e9), method, params: { ...params, _meta } };
  const response = await postMcp(token, body, modernHeaders(method, params));
  const [message] = await readMessages(response);
  return { status: response.status, ...(message as Rpc) };
}

/** A 2025-era request posted raw with this revision's header. */
async function legacy(token: string, revision: string, method: string, params: Record<string, unknown>): Promise<Rpc> {
  const response = await postMcp(token, { jsonrpc: "2.0", id: 1, method, params }, { "mcp-protocol-version": revision });
  return (await readMessages(response))[0] as Rpc;
}

async function listTools(token: string, revision: string): Promise<Array<{ name: string; execution?: unknown }>> {
  const tools = (await legacy(token, revision, "tools/list", {})).result?.tools;
  return Array.isArray(tools) ? tools : [];
}

function initialize(token: string, revision: string, capabilities: Record<string, unknown>): Promise<Rpc> {
  return legacy(token, revision, "initialize", { protocolVersion: revision, capabilities, clientInfo: CLIENT_INFO });
}

/** The ext-tasks requester on a 2026-07-28 SDK client, its task requests posted to the Worker by `rawDispatch`. */
async function taskSession(token: string) {
  const client = await connectClient(token, MODERN);
  const rawDispatch: RawClientDispatch = async (request) => {
    const framed = request as { method: string; params?: Record<string, unknown>; id?: unknown };
    const body = { jsonrpc: "2.0", id: framed.id ?? Math.floor(Math.random() * 1e9), ...framed };
    const [message] = await readMessages(await postMcp(token, body, modernHeaders(framed.method, framed.params)));
    const answer = message as Rpc;
    if (answer.error) return { kind: "error", error: answer.error as { code: number; message: string } };
    return { kind: "result", result: (answer.result ?? null) as never };
  };
  return createTaskSessionFromClient(client, {
    endpointId: `pandgate-${crypto.randomUUID()}`,
    rawDispatch,
    v2RequestFraming: { protocolVersion: MODERN, clientInfo: CLIENT_INFO, clientCapabilities: {} },
  });
}

describe("the 2026-07-28 tasks extension", () => {
  it(
    "runs Assess_Portfolio as a task for the extension's requester: created, polled with tasks/get to completion, its result inlined",
    async () => {
      const token = await user();
      const session = await taskSession(token);
      try {
        expect(session.capabilities.execution).toBe(true);
        const ids = await addressIds(40, 11_000);
        const execution = await session.callTool("Assess_Portfolio", portfolioArguments(ids));
        expect(execution.kind).toBe("task");
        const { outcome } = await execution.settle();
        expect(outcome.status).toBe("completed");
        const result = resultFromTaskOutcome(outcome) as {
          structuredContent?: { state: string; summary: { done: number; total: number } };
        };
        expect(result.structuredContent?.state).toBe("completed");
        expect(result.structuredContent?.summary).toMatchObject({ done: 40, total: 40 });
      } finally {
        await session.close();
      }
    },
    TIMEOUT,
  );

  it(
    "answers in the extension's wire format: CreateTaskResult, DetailedTask, empty acks for update and cancel",
    async () => {
      const token = await user();
      const ids = await addressIds(30, 12_000);
      const created = await modern(token, "tools/call", { name: "Assess_Portfolio", arguments: portfolioArguments(ids) }, true);
      expect(created.error).toBeUndefined();
      const task = CreateTaskResultV2Schema.parse(created.result);
      expect(task).toMatchObject({ resultType: "task", status: "working", ttlMs: null, pollIntervalMs: 1000 });
      expect(created.result).not.toHaveProperty("task");

      // Durable before the answer: tasks/get finds it at once.
      const first = await modern(token, "tasks/get", { taskId: task.taskId }, true);
      expect(first.result?.resultType).toBe("complete");
      expect(DetailedTaskV2Schema.parse(first.result).taskId).toBe(task.taskId);

      let detailed = DetailedTaskV2Schema.parse(first.result);
      const deadline = Date.now() + TIMEOUT;
      while (detailed.status === "working" && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        detailed = DetailedTaskV2Schema.parse((await modern(token, "tasks/get", { taskId: task.taskId }, true)).result);
      }
      expect(detailed.status).toBe("completed");
      if (detailed.status !== "completed") return;
      expect(detailed.result).toMatchObject({ isError: false, structuredContent: { state: "completed", summary: { done: 30 } } });
      expect(detailed).not.toHaveProperty("requestState");

      const updated = await modern(token, "tasks/update", { taskId: task.taskId, inputResponses: {} }, true);
      expect(updated.result).toMatchObject({ resultType: "complete" });
      expect(updated.result).not.toHaveProperty("status");
      // Cancelling a task that has ended is acknowledged like any other (idempotent).
      const ack = await modern(token, "tasks/cancel", { taskId: task.taskId }, true);
      expect(ack.result?.resultType).toBe("complete");
      for (const field of ["taskId", "status", "result"]) expect(ack.result).not.toHaveProperty(field);
    },
    TIMEOUT,
  );

  it(
    "cancels a running task: acknowledged, then tasks/get says cancelled",
    async () => {
      const token = await user();
      const session = await taskSession(token);
      try {
        const execution = await session.callTool("Assess_Portfolio", portfolioArguments(await addressIds(3000, 13_000)));
        expect(execution.kind).toBe("task");
        if (execution.kind !== "task") return;
        await execution.cancel();
        const got = await modern(token, "tasks/get", { taskId: execution.handle.taskId }, true);
        expect(DetailedTaskV2Schema.parse(got.result).status).toBe("cancelled");
      } finally {
        await session.close();
      }
    },
    TIMEOUT,
  );

  it("answers an unknown task id and another user's task id alike: -32602, no hint it exists", async () => {
    const alice = await user();
    const bob = await user();
    const created = await modern(
      alice,
      "tools/call",
      { name: "Assess_Portfolio", arguments: portfolioArguments(await addressIds(2, 14_000)) },
      true,
    );
    const { taskId } = CreateTaskResultV2Schema.parse(created.result);
    for (const method of ["tasks/get", "tasks/cancel", "tasks/update"]) {
      const params = method === "tasks/update" ? { inputResponses: {} } : {};
      const unknown = await modern(bob, method, { taskId: "tasks-conformance-nonexistent-12345", ...params }, true);
      const foreign = await modern(bob, method, { taskId, ...params }, true);
      expect(unknown.error?.code, method).toBe(-32602);
      expect(foreign.error?.code, method).toBe(-32602);
      expect(foreign.error?.message.replace(taskId, "ID"), method).toBe(
        unknown.error?.message.replace("tasks-conformance-nonexistent-12345", "ID"),
      );
    }
    // Alice's task is untouched by Bob's cancel.
    const hers = await modern(alice, "tasks/get", { taskId }, true);
    expect(DetailedTaskV2Schema.parse(hers.result).status).not.toBe("cancelled");
  });

  it("refuses the task methods with -32021 to a request that does not declare the extension, naming it", async () => {
    const token = await user();
    const created = await modern(
      token,
      "tools/call",
      { name: "Assess_Portfolio", arguments: portfolioArguments(await addressIds(2, 15_000)) },
      true,
    );
    const { taskId } = CreateTaskResultV2Schema.parse(created.result);
    for (const method of ["tasks/get", "tasks/update", "tasks/cancel"]) {
      const answer = await modern(token, method, { taskId, ...(method === "tasks/update" && { inputResponses: {} }) }, false);
      expect(answer.error?.code, `${method}: ${answer.error?.message}`).toBe(-32021);
      expect(answer.error?.data, method).toEqual({ requiredCapabilities: { extensions: EXTENSION } });
    }
    expect(DetailedTaskV2Schema.parse((await modern(token, "tasks/get", { taskId }, true)).result).status).not.toBe("cancelled");
  });

  it(
    "runs the tool as a plain call for a client without the extension",
    async () => {
      const token = await user();
      const answer = await modern(
        token,
        "tools/call",
        { name: "Assess_Portfolio", arguments: portfolioArguments(await addressIds(5, 16_000)) },
        false,
      );
      expect(answer.result?.resultType).toBe("complete");
      expect(answer.result).not.toHaveProperty("taskId");
      // The tool's own answer: its job, which it waits for only when the call carries a progress token.
      expect(answer.result?.structuredContent).toMatchObject({ jobId: expect.any(String), total: 5 });
      // The SDK client without the requester: a plain result too, waited for with progress.
      const client = await connectClient(token, MODERN);
      const plain = await client.callTool(
        { name: "Assess_Portfolio", arguments: portfolioArguments(await addressIds(3, 16_100)) },
        { onprogress: () => {} },
      );
      expect(plain.structuredContent).toMatchObject({ state: "completed", summary: { done: 3, total: 3 } });
    },
    TIMEOUT,
  );

  it("has no tasks/list or tasks/result (-32601), and a tool without task support never becomes a task", async () => {
    const token = await user();
    expect((await modern(token, "tasks/list", {}, true)).error?.code).toBe(-32601);
    expect((await modern(token, "tasks/result", { taskId: "x" }, true)).error?.code).toBe(-32601);
    const info = await modern(token, "tools/call", { name: "Get_Server_Info", arguments: {} }, true);
    expect(info.result?.resultType).toBe("complete");
  });

  it("checks the Mcp-Name header of a task request against its task id (-32020)", async () => {
    const token = await user();
    const body = {
      jsonrpc: "2.0",
      id: 1,
      method: "tasks/get",
      params: {
        taskId: "abc",
        _meta: {
          "io.modelcontextprotocol/protocolVersion": MODERN,
          "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
          "io.modelcontextprotocol/clientCapabilities": { extensions: EXTENSION },
        },
      },
    };
    const response = await postMcp(token, body, { ...modernHeaders("tasks/get", { taskId: "abd" }) });
    expect(response.status).toBe(400);
    expect(((await readMessages(response))[0] as Rpc).error?.code).toBe(-32020);
  });

  it("records a task start in the audit trail like any tools/call, and a refused one once", async () => {
    const identity = newIdentity();
    const { accessToken: token } = await mintToken(identity, ["mcp:read", "mcp:write"]);
    const started = await modern(
      token,
      "tools/call",
      { name: "Assess_Portfolio", arguments: portfolioArguments(await addressIds(2, 17_000)) },
      true,
    );
    expect(started.result?.resultType).toBe("task");
    const invalid = await modern(token, "tools/call", { name: "Assess_Portfolio", arguments: { addresses: "all" } }, true);
    expect(invalid.error?.code).toBe(-32602);
    const mine = { tenantId: identity.tenantId, userKey: identity.userKey, kind: "mcp.tool_call" };
    await waitForAudit(mine, (found) => found.length >= 2);
    // The outbox forwards within about a second: wait past it for anything recorded twice.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const events = (await auditEvents(mine)).map((e) => ({ outcome: e.outcome, reason: e.reason ?? null, tool: e.details.tool }));
    expect(events).toEqual(
      expect.arrayContaining([
        { outcome: "success", reason: null, tool: "Assess_Portfolio" },
        { outcome: "error", reason: "invalid_arguments", tool: "Assess_Portfolio" },
      ]),
    );
    expect(events).toHaveLength(2);
  });
});

describe("which task capability each revision and client declaration gets", () => {
  it("2025-06-18: no capabilities.tasks, no execution.taskSupport, a task-augmented call runs plainly", async () => {
    const token = await user();
    const init = await initialize(token, "2025-06-18", { tasks: { requests: {} } });
    expect(init.result?.protocolVersion).toBe("2025-06-18");
    expect(init.result?.capabilities).not.toHaveProperty("tasks");
    const tools = await listTools(token, "2025-06-18");
    expect(tools.find((t) => t.name === "Assess_Portfolio")).not.toHaveProperty("execution");
    const call = await legacy(token, "2025-06-18", "tools/call", {
      name: "Assess_Portfolio",
      arguments: portfolioArguments(await addressIds(2, 18_000)),
      task: { ttl: 60_000 },
    });
    expect(call.result).not.toHaveProperty("task");
    expect(call.result?.structuredContent).toMatchObject({ jobId: expect.any(String), total: 2 });
    expect((await legacy(token, "2025-06-18", "tasks/list", {})).error?.code).toBe(-32601);
  });

  it("2025-11-25: capabilities.tasks only when the client's initialize declared tasks; execution.taskSupport on the task tool", async () => {
    const token = await user();
    const without = await initialize(token, "2025-11-25", {});
    expect(without.result?.protocolVersion).toBe("2025-11-25");
    expect(without.result?.capabilities).not.toHaveProperty("tasks");
    const declared = await initialize(token, "2025-11-25", { tasks: { list: {}, cancel: {} } });
    expect(declared.result?.capabilities).toHaveProperty("tasks", TASKS_CAPABILITY);
    // An unsupported revision is answered with 2025-11-25, and then the declaration counts as well.
    const fallback = await initialize(token, "2024-01-01", { tasks: {} });
    expect(fallback.result?.protocolVersion).toBe("2025-11-25");
    expect(fallback.result?.capabilities).toHaveProperty("tasks", TASKS_CAPABILITY);
    const tools = await listTools(token, "2025-11-25");
    expect(tools.find((t) => t.name === "Assess_Portfolio")?.execution).toEqual({ taskSupport: "optional" });
    expect(tools.filter((t) => t.execution !== undefined).map((t) => t.name)).toEqual(["Assess_Portfolio"]);
    // The SDK client declares no tasks: no capability.
    const client = await connectClient(token, "2025-11-25");
    expect(client.getServerCapabilities()?.tasks).toBeUndefined();
  });

  it("2026-07-28: the extension under capabilities.extensions in server/discover, never capabilities.tasks, with or without the client's extension", async () => {
    const token = await user();
    for (const extension of [true, false]) {
      const discovered = await modern(token, "server/discover", {}, extension);
      const capabilities = discovered.result?.capabilities as Record<string, unknown>;
      expect(capabilities.extensions).toEqual(EXTENSION);
      expect(capabilities).not.toHaveProperty("tasks");
    }
    const client = await connectClient(token, MODERN);
    expect(client.getServerCapabilities()?.extensions).toEqual(EXTENSION);
    expect(client.getServerCapabilities()?.tasks).toBeUndefined();
  });

  it("reads a declaration of the extension as the ext-tasks package does", () => {
    const meta = (capabilities: unknown) => ({ _meta: { "io.modelcontextprotocol/clientCapabilities": capabilities } });
    const cases = [
      meta({ extensions: EXTENSION }),
      meta({ extensions: { [TASKS_EXTENSION_ID]: { settings: 1 } } }),
      meta({ extensions: { [TASKS_EXTENSION_ID]: null } }),
      meta({ extensions: { [TASKS_EXTENSION_ID]: [] } }),
      meta({ extensions: {} }),
      meta({}),
      meta(null),
      { _meta: {} },
      {},
      null,
    ];
    for (const params of cases) expect(declaresTaskExtension(params), JSON.stringify(params)).toBe(hasTaskClientCapabilityV2(params));
    expect(declaresTaskExtension(cases[0])).toBe(true);
  });
});
