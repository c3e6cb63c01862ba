import { INTERNAL_ERROR, INVALID_PARAMS, RELATED_TASK_META_KEY } from "@modelcontextprotocol/server";
import { missingScopes } from "../auth/scopes";
import type { Services } from "../data/services";
import { UserError, userFacingMessage } from "../errors";
import { type JobRow, type PortfolioJobs, untilNextPoll } from "../jobs/portfolio";
import type { Caller } from "./caller";
import type { ToolCatalog, ToolSpec } from "./catalog";
import { jsonRpcError } from "./jsonrpc";

/**
 * MCP tasks (protocol revision 2025-11-25, experimental there) for portfolio jobs. The MCP SDK v2
 * keeps the 2025 task vocabulary without a runtime, so the agent answers these messages itself,
 * before the SDK handler: a task-augmented `tools/call` of a catalog tool that has a `task` hook
 * (Assess_Portfolio) starts a job and returns the task; `tasks/get`, `tasks/result`, `tasks/list` and `tasks/cancel` read the user's
 * jobs. A task id is the job id, and tasks live in the user's own agent (bound to the user).
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
        const args = tool.input.safeParse(p.arguments ?? {});
        if (!args.success) {
          throw new UserError(`Invalid arguments for ${tool.name}: ${args.error.issues.map((i) => i.message).join("; ")}`);
        }
        const started = await tool.task.start(args.data, { ...ctx, rpcId: id });
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
        return result(id, taskOf(ctx.jobs.cancel(owner, target.id) ?? target));
      }
      case "tasks/result": {
        let current = job();
        while (current.state === "running" && !ctx.signal.aborted) {
          await untilNextPoll();
          current = job();
        }
        const tool = taskTools(ctx.catalog)[0];
        if (!tool?.task) throw new UserError("This server offers no tasks.");
        const { structured, text } = tool.task.result(current, ctx.jobs);
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

/** The catalog's tools that run as tasks (today Assess_Portfolio; every task is one of its jobs). */
function taskTools(catalog: ToolCatalog): ToolSpec[] {
  return catalog.all().filter((tool) => tool.task !== undefined);
}
