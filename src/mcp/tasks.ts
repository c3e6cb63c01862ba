import type { CreateTaskResultV2, DetailedTaskV2 } from "@modelcontextprotocol/ext-tasks/core/v2";
import {
  CLIENT_CAPABILITIES_META_KEY,
  INTERNAL_ERROR,
  INVALID_PARAMS,
  LATEST_PROTOCOL_VERSION,
  type McpServer,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  RELATED_TASK_META_KEY,
  type ServerContext,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { missingScopes } from "../auth/scopes";
import type { Services } from "../data/services";
import { UserError, userFacingMessage } from "../errors";
import { type JobRow, type PortfolioJobs, untilNextPoll } from "../jobs/portfolio";
import { addressIdOf, type Caller, type ToolCallRecorder } from "./caller";
import { refuseIfDenied, type ToolCatalog, type ToolSpec, toolCallIn } from "./catalog";
import { jsonRpcError } from "./jsonrpc";

/**
 * MCP tasks for portfolio jobs, in both forms the protocol has had. A task id is the job id, and
 * tasks live in the user's own agent (bound to the user: another user's task is "not found").
 * A tools/call that starts a task is recorded in the audit trail like any other tools/call: a
 * success once its task has started.
 *
 * - 2025-11-25 (experimental there, `handleTaskMessage`): the MCP SDK v2 keeps that vocabulary
 *   without a runtime, so the agent answers these messages itself, before the SDK handler: a
 *   task-augmented `tools/call` (`params.task`) of a catalog tool that has a `task` hook
 *   (Assess_Portfolio) starts a job and returns `{ task }`; `tasks/get`, `tasks/result`,
 *   `tasks/list` and `tasks/cancel` read the user's jobs. Requests of that revision only.
 * - 2026-07-28, the `io.modelcontextprotocol/tasks` extension (`offerTaskExtension`): handlers on
 *   the SDK server, so the SDK checks the headers (`Mcp-Name` is the task id) and the `_meta`
 *   envelope first. The server decides: a `tools/call` of a task tool whose request declares the
 *   extension in its per-request client capabilities returns a `CreateTaskResult`
 *   (`resultType: "task"`); without the declaration the tool runs as a plain call. `tasks/get`
 *   (the result inlined once completed), `tasks/update` and `tasks/cancel` (empty acks) answer
 *   `-32021` to a request that does not declare the extension and `-32602` for a task id the
 *   caller has no task with. There is no `tasks/list` or `tasks/result` in that revision.
 */
export const TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } };

type Message = { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };

export interface TaskContext {
  catalog: ToolCatalog;
  caller: Caller;
  jobs: PortfolioJobs;
  services: Services;
  signal: AbortSignal;
  /** Records how a task-augmented tools/call ended (the audit trail). */
  record: ToolCallRecorder;
}

/** How often a client is asked to poll a task, in milliseconds. */
const POLL_INTERVAL_MS = 1000;

/** The fields a task has in both revisions, from its job. */
function taskState(job: JobRow) {
  return {
    taskId: job.id,
    status: job.state === "running" ? ("working" as const) : job.state,
    statusMessage: `${job.done} of ${job.total} addresses processed${job.failed ? `, ${job.failed} failed` : ""}`,
    createdAt: job.created_at,
    lastUpdatedAt: job.finished_at ?? (job.progress_at !== null ? new Date(job.progress_at).toISOString() : job.created_at),
  };
}

/** A task as the 2025-11-25 revision has it (`ttl`, `pollInterval`). */
function taskOf(job: JobRow, ttl: number | null = null) {
  return { ...taskState(job), ttl, pollInterval: POLL_INTERVAL_MS };
}

function result(id: string | number, value: Record<string, unknown>): Response {
  return Response.json({ jsonrpc: "2.0", id, result: value });
}

/** Answers a task message, or returns null for everything else (the SDK handler takes it). */
export async function handleTaskMessage(message: unknown, ctx: TaskContext): Promise<Response | null> {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return null;
  const { id, method, params } = message as Message;
  if (typeof method !== "string" || (typeof id !== "string" && typeof id !== "number")) return null;
  const p = (typeof params === "object" && params !== null ? params : {}) as Record<string, unknown>;
  const owner = ctx.caller.identity.userKey;
  const job = () => {
    const found = typeof p.taskId === "string" ? ctx.jobs.owned(owner, p.taskId.toLowerCase()) : null;
    if (!found) throw new UserError(`You have no task with id ${String(p.taskId ?? "").slice(0, 64)}.`);
    return found;
  };
  try {
    switch (method) {
      case "tools/call": {
        const tool = typeof p.name === "string" ? ctx.catalog.get(p.name) : undefined;
        if (!tool?.task || typeof p.task !== "object" || p.task === null) return null;
        const started = await startTask(tool, p, id, ctx);
        const ttl = (p.task as Record<string, unknown>).ttl;
        return result(id, { task: taskOf(started, typeof ttl === "number" ? ttl : null) });
      }
      case "tasks/get":
        return result(id, taskOf(job()));
      case "tasks/list":
        return result(id, { tasks: ctx.jobs.list(owner).map((j) => taskOf(j)) });
      case "tasks/cancel": {
        mayCancel(ctx);
        const target = job();
        return result(id, taskOf((await ctx.jobs.cancel(owner, target.id)) ?? target));
      }
      case "tasks/result": {
        let current = job();
        while (current.state === "running" && !ctx.signal.aborted) {
          await untilNextPoll();
          current = job();
        }
        const tool = taskTools(ctx.catalog)[0];
        if (!tool?.task) throw new UserError("This server offers no tasks.");
        const { structured, text } = await tool.task.result(current, ctx.jobs);
        return result(id, {
          content: [{ type: "text", text }],
          structuredContent: structured,
          isError: false,
          _meta: { [RELATED_TASK_META_KEY]: { taskId: current.id } },
        });
      }
      default:
        return null;
    }
  } catch (error) {
    const { message, expected } = userFacingMessage(error, method, {
      event: "task_failed",
      reference: `request id ${ctx.caller.requestId}`,
    });
    return jsonRpcError(200, expected ? INVALID_PARAMS : INTERNAL_ERROR, message, id);
  }
}

/**
 * Starts the job of a task-augmented tools/call of `tool` (which has a `task` hook), and records
 * the call: invalid arguments, a refusal the person can fix, an unexpected failure, or a success
 * once the task exists. Errors are thrown on to the caller, which turns them into the answer.
 */
async function startTask(tool: ToolSpec, p: Record<string, unknown>, id: string | number, ctx: TaskContext): Promise<JobRow> {
  const { task } = tool;
  if (!task) throw new Error(`${tool.name} does not run as a task`);
  const began = performance.now();
  const addressId = addressIdOf(p.arguments);
  const record = (outcome: "success" | "error" | "failure", reason?: "invalid_arguments" | "tool_error" | "unexpected_error") =>
    ctx.record({ tool: tool.name, outcome, reason, durationMs: performance.now() - began, addressId });
  const args = tool.input.safeParse(p.arguments ?? {});
  if (!args.success) {
    record("error", "invalid_arguments");
    throw new UserError(`Invalid arguments for ${tool.name}: ${args.error.issues.map((i) => i.message).join("; ")}`);
  }
  try {
    const started = await task.start(args.data, { ...ctx, rpcId: id });
    record("success");
    return started;
  } catch (error) {
    if (error instanceof UserError) record("error", "tool_error");
    else record("failure", "unexpected_error");
    throw error;
  }
}

/** Cancelling needs what starting a task needs: the scopes of the tools that offer tasks. */
function mayCancel(ctx: Pick<TaskContext, "caller" | "catalog">): void {
  const missing = missingScopes(
    ctx.caller.scopes,
    taskTools(ctx.catalog).flatMap((tool) => tool.requiredScopes),
  );
  if (missing.length > 0) throw new UserError(`Cancelling a task needs the ${missing.join(" and ")} scope.`);
}

/** The catalog's tools that run as tasks (today Assess_Portfolio; every task is one of its jobs). */
function taskTools(catalog: ToolCatalog): ToolSpec[] {
  return catalog.all().filter((tool) => tool.task !== undefined);
}

/**
 * The extension's identifier, and how a request declares it: `_meta` →
 * `io.modelcontextprotocol/clientCapabilities` → `extensions` → this key, with `{}` (no settings
 * are defined; anything else is no declaration). The same rule as `hasTaskClientCapabilityV2` of
 * `@modelcontextprotocol/ext-tasks` (its `TasksExtensionCapabilityV2Schema` is a strict empty
 * object), written out here because that module builds all of its wire schemas when imported,
 * which would add about 3 KiB (gzip) to the Worker for one check; test/tasks-extension.test.ts
 * holds the two to the same answers.
 */
export const TASKS_EXTENSION_ID = "io.modelcontextprotocol/tasks";
const ClientDeclaresTasks = z.object({
  _meta: z.object({
    [CLIENT_CAPABILITIES_META_KEY]: z.object({ extensions: z.object({ [TASKS_EXTENSION_ID]: z.strictObject({}) }) }),
  }),
});

/** Whether a 2026-07-28 request's params declare the tasks extension in their per-request client capabilities. */
export function declaresTaskExtension(params: unknown): boolean {
  return ClientDeclaresTasks.safeParse(params).success;
}

/** The one revision with the task messages of `handleTaskMessage` and `capabilities.tasks`. */
export const LEGACY_TASKS_REVISION = "2025-11-25";
/** What a 2025-era request that names no revision is taken to speak (transport spec default). */
export const DEFAULT_LEGACY_REVISION = "2025-03-26";

/** Which task surface one request is offered (read by ./server.ts and ./answer.ts). */
export interface TaskOffer {
  /** `capabilities.tasks` in an initialize result: 2025-11-25 negotiated, and the client declared `capabilities.tasks`. */
  legacyCapability: boolean;
  /** 2025-11-25 requests: the task messages of `handleTaskMessage`, and `execution.taskSupport` in tools/list. */
  legacyTasks: boolean;
  /** 2026-07-28 requests: the extension in `server/discover`'s `capabilities.extensions`, and its methods. */
  extension: boolean;
}

function objectOrEmpty(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * The task surface of one request of `era` (the SDK handler's classification). A 2026-07-28
 * request gets the extension. A 2025-era request gets the 2025-11-25 tasks only when it speaks
 * that revision: its `MCP-Protocol-Version` header, or for `initialize` the revision the SDK will
 * answer with (the one asked for when supported, else its latest, 2025-11-25). The initialize
 * result declares `capabilities.tasks` only when, in addition, the client declared
 * `capabilities.tasks` in that initialize: a server that is stateless cannot see the client's
 * declaration again later, so the capability is all that depends on it.
 */
export function taskOfferFor(era: "legacy" | "modern", request: Request, message: unknown): TaskOffer {
  if (era === "modern") return { legacyCapability: false, legacyTasks: false, extension: true };
  const { method, params } = objectOrEmpty(message);
  const p = objectOrEmpty(params);
  if (method === "initialize") {
    const asked = p.protocolVersion;
    const negotiated = typeof asked === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(asked) ? asked : LATEST_PROTOCOL_VERSION;
    const legacyTasks = negotiated === LEGACY_TASKS_REVISION;
    const clientTasks = objectOrEmpty(p.capabilities).tasks;
    return { legacyCapability: legacyTasks && typeof clientTasks === "object" && clientTasks !== null, legacyTasks, extension: false };
  }
  const revision = request.headers.get("mcp-protocol-version") ?? DEFAULT_LEGACY_REVISION;
  return { legacyCapability: false, legacyTasks: revision === LEGACY_TASKS_REVISION, extension: false };
}

/**
 * The task tool a 2026-07-28 `message` calls with the tasks extension declared in its per-request
 * client capabilities, if any.
 * The server answers every such call with a task; a call without the declaration runs plainly.
 */
export function extensionTaskCall(message: unknown, catalog: ToolCatalog): ToolSpec | undefined {
  const call = toolCallIn(message, catalog);
  return call?.tool?.task && declaresTaskExtension(call.params) ? call.tool : undefined;
}

/** The server capability of the extension, as `server/discover` carries it under `capabilities.extensions`. */
export const TASKS_EXTENSION_CAPABILITY = { [TASKS_EXTENSION_ID]: {} };

/**
 * `params` of `tasks/get`, `tasks/update` and `tasks/cancel`. The SDK lifts `inputResponses` (of
 * `tasks/update`) out of the params before a handler sees them, as it does for every 2026-07-28 request.
 */
const TaskIdParams = z.looseObject({ taskId: z.string() });

/**
 * Offers the 2026-07-28 tasks extension on a server built for one 2026-07-28 request: its
 * methods, and, when `message` is a `tools/call` of a task tool whose request declares the
 * extension, that call answered with a `CreateTaskResult` instead of the tool's own run. The
 * server already advertises the extension (./server.ts). The SDK answers its checks (headers,
 * envelope) before any of these handlers runs, and stamps `resultType: "complete"` on their results.
 */
export function offerTaskExtension(server: McpServer, message: unknown, ctx: TaskContext): void {
  const owner = ctx.caller.identity.userKey;
  // The per-request client capabilities: the SDK lifts the 2026-07-28 `_meta` envelope out of the params.
  const declared = (request: ServerContext) => {
    if (!declaresTaskExtension({ _meta: { ...request.mcpReq._meta, ...request.mcpReq.envelope } })) {
      throw new MissingRequiredClientCapabilityError({ requiredCapabilities: { extensions: TASKS_EXTENSION_CAPABILITY } });
    }
  };
  const owned = (taskId: string): JobRow => {
    const found = ctx.jobs.owned(owner, taskId.toLowerCase());
    if (!found)
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Task not found: you have no task with id ${taskId.slice(0, 64)}.`);
    return found;
  };
  const low = server.server;
  low.setRequestHandler("tasks/get", { params: TaskIdParams }, async (params, request) => {
    declared(request);
    return await guarded("tasks/get", ctx, async () => detailedTask(owned(params.taskId), ctx));
  });
  low.setRequestHandler("tasks/update", { params: TaskIdParams }, async (params, request) => {
    declared(request);
    // A portfolio job never asks for input, so no key is outstanding: the responses are ignored (the spec's rule for such keys).
    owned(params.taskId);
    return {};
  });
  low.setRequestHandler("tasks/cancel", { params: TaskIdParams }, async (params, request) => {
    declared(request);
    return await guarded("tasks/cancel", ctx, async () => {
      mayCancel(ctx);
      // Cancelling a task that has ended is acknowledged the same way (idempotent).
      await ctx.jobs.cancel(owner, owned(params.taskId).id);
      return {};
    });
  });

  const { id, params } = objectOrEmpty(message);
  const tool = extensionTaskCall(message, ctx.catalog);
  if (!tool || (typeof id !== "string" && typeof id !== "number")) return;
  const p = objectOrEmpty(params);
  // This request's tools/call becomes a task (the server's choice: every such call of a task tool).
  low.setRequestHandler("tools/call", async () => {
    const refused = await refuseIfDenied(tool, ctx.caller, ctx.record);
    if (refused) return refused;
    const job = await guarded("tools/call", ctx, () => startTask(tool, p, id, ctx));
    const created: CreateTaskResultV2 = { ...taskState(job), ttlMs: null, pollIntervalMs: POLL_INTERVAL_MS, resultType: "task" };
    // The SDK's tools/call result type has no task variant; it passes `resultType: "task"` through as it is.
    return created as unknown as { content: [] };
  });
}

/** A 2026-07-28 `tasks/get` answer: the task, with the tool's result inlined once it completed. */
async function detailedTask(job: JobRow, ctx: TaskContext): Promise<DetailedTaskV2> {
  const base = { ...taskState(job), ttlMs: null, pollIntervalMs: POLL_INTERVAL_MS };
  if (job.state !== "completed") return { ...base, status: job.state === "running" ? "working" : "cancelled" };
  const tool = taskTools(ctx.catalog)[0];
  if (!tool?.task) throw new Error("This server offers no tasks.");
  const { structured, text } = await tool.task.result(job, ctx.jobs);
  return {
    ...base,
    status: "completed",
    // What the tools/call would have returned in this revision, `resultType` included.
    result: {
      content: [{ type: "text", text }],
      structuredContent: structured as Record<string, never>,
      isError: false,
      resultType: "complete",
    },
  };
}

/**
 * Runs a 2026-07-28 task handler: protocol errors pass as they are; a refusal the person can fix
 * becomes invalid params with its own text, anything else an internal error with a reference.
 */
async function guarded<T>(method: string, ctx: TaskContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    const { message, expected } = userFacingMessage(error, method, {
      event: "task_failed",
      reference: `request id ${ctx.caller.requestId}`,
    });
    throw new ProtocolError(expected ? ProtocolErrorCode.InvalidParams : ProtocolErrorCode.InternalError, message);
  }
}
