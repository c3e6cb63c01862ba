import { SCOPE_WRITE } from "../auth/scopes";
import type { Services } from "../data/services";
import type { JobRow, PortfolioJobs } from "../jobs/portfolio";
import type { Caller } from "./caller";
import { ToolError } from "./catalog";
import { INVALID_PARAMS, jsonRpcError } from "./jsonrpc";
import { assessInput, renderSummary, startPortfolio } from "./tools/portfolio";

/**
 * MCP tasks (protocol revision 2025-11-25, experimental there) for portfolio jobs. The MCP SDK v2
 * keeps the 2025 task vocabulary without a runtime, so the agent answers these messages itself,
 * before the SDK handler: a task-augmented `tools/call` of Assess_Portfolio starts a job and
 * returns the task; `tasks/get`, `tasks/result`, `tasks/list` and `tasks/cancel` read the user's
 * jobs. A task id is the job id, and tasks live in the user's own agent (bound to the user).
 * The 2026-07-28 revision moves tasks into an extension, which this server does not offer.
 */
export const TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } };
const POLL_MS = 200;
const RELATED_TASK = "io.modelcontextprotocol/related-task";

type Message = { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };

export interface TaskContext {
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
    const found = typeof p.taskId === "string" ? ctx.jobs.get(owner, p.taskId.toLowerCase()) : null;
    if (!found) throw new ToolError(`You have no task with id ${String(p.taskId ?? "").slice(0, 64)}.`);
    return found;
  };
  try {
    switch (method) {
      case "tools/call": {
        if (p.name !== "Assess_Portfolio" || typeof p.task !== "object" || p.task === null) return null;
        const args = assessInput.safeParse(p.arguments ?? {});
        if (!args.success)
          throw new ToolError(`Invalid arguments for Assess_Portfolio: ${args.error.issues.map((i) => i.message).join("; ")}`);
        const started = await startPortfolio(args.data, { ...ctx, rpcId: id });
        const ttl =
          typeof (p.task as Record<string, unknown>).ttl === "number" ? ((p.task as Record<string, unknown>).ttl as number) : null;
        return result(id, { task: taskOf(started, ttl) });
      }
      case "tasks/get":
        return result(id, taskOf(job()));
      case "tasks/list":
        return result(id, { tasks: ctx.jobs.list(owner).map((j) => taskOf(j)) });
      case "tasks/cancel": {
        if (!ctx.caller.scopes.includes(SCOPE_WRITE)) throw new ToolError("Cancelling a task needs the mcp:write scope.");
        const target = job();
        return result(id, taskOf(ctx.jobs.cancel(owner, target.id) ?? target));
      }
      case "tasks/result": {
        let current = job();
        while (current.state === "running" && !ctx.signal.aborted) {
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
          current = job();
        }
        const summary = ctx.jobs.summary(current);
        const structured = {
          jobId: current.id,
          state: current.state,
          total: current.total,
          duplicatesDropped: summary.duplicatesDropped,
          message: `Portfolio job ${current.id} ${current.state}.`,
          summary,
        };
        return result(id, {
          content: [{ type: "text", text: renderSummary(summary) }],
          structuredContent: structured,
          isError: false,
          _meta: { [RELATED_TASK]: { taskId: current.id } },
        });
      }
      default:
        return null;
    }
  } catch (error) {
    if (error instanceof ToolError) return jsonRpcError(200, INVALID_PARAMS, error.message, id);
    throw error;
  }
}
