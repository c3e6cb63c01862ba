import { isLegacyRequest } from "@modelcontextprotocol/server";
import { Agent } from "agents";
import { createMcpHandler } from "agents/mcp/server";
import { recordAudit } from "../audit/record";
import { type Config, parseConfig } from "../config";
import { createServices } from "../data/services";
import { PortfolioJobs } from "../jobs/portfolio";
import { addressIdOf, type Caller, CallerSchema, type ToolCallRecord, type ToolCallRecorder, toolCallEvent } from "./caller";
import { checkAccess, type ToolCatalog } from "./catalog";
import { buildMcpServer } from "./server";
import { handleTaskMessage } from "./tasks";
import { catalog } from "./tools";

/**
 * One Durable Object per signed-in user. The gateway calls `serveMcp` with each authenticated
 * request, the JSON-RPC message it already parsed, and the caller's identity and scopes for that
 * request; the agent answers it with the MCP SDK v2 handler. Nothing about the caller is kept
 * between requests, so a refreshed, narrowed or revoked grant is seen on the very next call. Every
 * tools/call that reaches the agent is recorded once in the audit trail: by the tool's own run
 * (./server.ts), by a task start (./tasks.ts), or here when the SDK will refuse it. Long
 * work (portfolio jobs) lives here too: its state is in this object's SQLite storage and its
 * batches run under the agents scheduler, so a job outlives the request, the connection and an
 * eviction.
 */
export class PandgateAgent extends Agent<Env> {
  #config?: Config;
  #jobs?: PortfolioJobs;

  /** The Worker's settings, from this object's own bindings (validated as the Worker's are). */
  get config(): Config {
    this.#config ??= parseConfig(this.env as unknown as Record<string, unknown>);
    return this.#config;
  }

  get jobs(): PortfolioJobs {
    this.#jobs ??= new PortfolioJobs(
      {
        sql: this.sql.bind(this),
        scheduleBatch: async (jobId) => {
          await this.schedule(0, "runPortfolioBatch", { jobId });
        },
      },
      this.config.maxConcurrentJobs,
    );
    return this.#jobs;
  }

  async serveMcp(request: Request, message: unknown, callerInput: Caller): Promise<Response> {
    const caller = CallerSchema.parse(callerInput);
    const { config, jobs } = this;
    const services = createServices(config, this.env);
    const record: ToolCallRecorder = (call) => recordAudit(this.env, toolCallEvent(caller, call));
    if (await isLegacyRequest(request, message)) {
      const answer = await handleTaskMessage(message, { catalog, caller, jobs, services, signal: request.signal, record });
      if (answer) return answer;
    }
    // The SDK answers these itself, before any tool runs; only the record is ours.
    const refused = refusedBeforeTool(message, catalog, caller);
    if (refused) record(refused);
    const handler = createMcpHandler(({ era }) => buildMcpServer({ catalog, caller, services, jobs, record, era }), {
      route: "/mcp",
      // The gateway addresses every request to the configured public URL, and the Worker has
      // already applied the Origin policy; see src/mcp/gateway.ts and src/mcp/origin.ts.
      allowedHostnames: [new URL(request.url).hostname],
      allowedOriginHostnames: "*",
      corsOptions: false,
    });
    return handler.fetch(request, { parsedBody: message });
  }

  /** A client cancelled the tools/call that started a job: stop that job. */
  async cancelJobsForRequest(rpcId: string | number): Promise<number> {
    return this.jobs.cancelByRequest(rpcId);
  }

  /** Scheduler callback: one batch of a portfolio job, then the next one is scheduled. */
  async runPortfolioBatch(payload: { jobId: string }): Promise<void> {
    const more = await this.jobs.runBatch(payload.jobId, createServices(this.config, this.env));
    if (more) await this.schedule(0, "runPortfolioBatch", { jobId: payload.jobId });
  }
}

/**
 * A tools/call the SDK refuses before any tool runs, as its audit record: an unknown tool (or one
 * not registered for this caller's roles), or arguments that fail the tool's input schema, which
 * is the schema the SDK validates with. `undefined` for every other message, which is recorded
 * where it ends, if it is a tools/call at all.
 */
export function refusedBeforeTool(message: unknown, tools: ToolCatalog, caller: Caller): ToolCallRecord | undefined {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return undefined;
  const { method, params } = message as { method?: unknown; params?: unknown };
  if (method !== "tools/call") return undefined;
  const { name, arguments: args } = (typeof params === "object" && params !== null ? params : {}) as Record<string, unknown>;
  const tool = typeof name === "string" ? tools.get(name) : undefined;
  if (!tool) return { ...(typeof name === "string" && { tool: name }), outcome: "error", reason: "unknown_tool" };
  const access = checkAccess(tool, caller);
  if (!access.ok && access.reason === "role") return { tool: tool.name, outcome: "denied", reason: "missing_role" };
  if (!tool.input.safeParse(args ?? {}).success) {
    return { tool: tool.name, outcome: "error", reason: "invalid_arguments", addressId: addressIdOf(args) };
  }
  return undefined;
}
