import { isLegacyRequest } from "@modelcontextprotocol/server";
import { Agent } from "agents";
import { createMcpHandler } from "agents/mcp/server";
import { type Config, parseConfig } from "../config";
import { createServices } from "../data/services";
import { PortfolioJobs } from "../jobs/portfolio";
import { type Caller, CallerSchema } from "./caller";
import { buildMcpServer } from "./server";
import { handleTaskMessage } from "./tasks";
import { catalog } from "./tools";

/**
 * One Durable Object per signed-in user. The gateway calls `serveMcp` with each authenticated
 * request, the JSON-RPC message it already parsed, and the caller's identity and scopes for that
 * request; the agent answers it with the MCP SDK v2 handler. Nothing about the caller is kept
 * between requests, so a refreshed, narrowed or revoked grant is seen on the very next call. Long
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
    if (await isLegacyRequest(request, message)) {
      const answer = await handleTaskMessage(message, { catalog, caller, jobs, services, signal: request.signal });
      if (answer) return answer;
    }
    const handler = createMcpHandler(({ era }) => buildMcpServer({ catalog, caller, services, jobs, era }), {
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
