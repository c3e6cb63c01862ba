import { INTERNAL_ERROR, INVALID_PARAMS, RELATED_TASK_META_KEY } from "@modelcontextprotocol/server";
import { missingScopes } from "../auth/scopes";
import type { Services } from "../data/services";
import { UserError, userFacingMessage } from "../errors";
import { type JobRow, type PortfolioJobs, untilNextPoll } from "../jobs/portfolio";
import { addressIdOf, type Caller, type ToolCallRecorder } from "./caller";
import type { ToolCatalog, ToolSpec } from "./catalog";
import { jsonRpcError } from "./jsonrpc";

/**
 * MCP tasks (protocol revision 2025-11-25, experimental there) for portfolio jobs. The MCP SDK v2
 * keeps the 2025 task vocabulary without a runtime, so the agent answers these messages itself,
 * before the SDK handler: a task-augmented `tools/call` of a catalog tool that has a `task` hook
 * (Assess_Portfolio) starts a job and returns the task; `tasks/get`, `tasks/result`, `tasks/list` and `tasks/cancel` read the user's
 * jobs. A task id is the job id, and tasks live in the user's own agent (bound to the user).
 * A task-augmented `tools/call` is recorded in the audit trail like any other tools/call: a
 * success once its task has started.
 * The 2026-07-28 revision moves tasks into an extension, which this server does not offer.
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

function taskOf(job: JobRow, ttl: number | null = null) {
  const status = job.state === "running" ? "working" : job.state;
  return {
    taskId: job.id,
    status,
    statusMessage: `${job.done} of ${job.total} addresses processed${job.failed ? `, ${job.failed} failed` : ""}`,
    createdAt: job.created_at,
    lastUpdatedAt: job.finished_at ?? new Date().toISOString(),
    ttl,
    pollInterval: 1000,
  };
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
        // Cancelling needs what starting a task needs: the scopes of the tools that offer tasks.
        const missing = missingScopes(
          ctx.caller.scopes,
          taskTools(ctx.catalog).flatMap((tool) => tool.requiredScopes),
        );
        if (missing.length > 0) throw new UserError(`Cancelling a task needs the ${missing.join(" and ")} scope.`);
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

/** The catalog's tools that run as tasks (today Assess_Portfolio; every task is one of its jobs). */
function taskTools(catalog: ToolCatalog): ToolSpec[] {
  return catalog.all().filter((tool) => tool.task !== undefined);
}
