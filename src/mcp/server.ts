import { McpServer, type ServerContext } from "@modelcontextprotocol/server";
import { createServices } from "../data/services";
import { RegisterError } from "../data/types";
import type { PortfolioJobs } from "../jobs/portfolio";
import { describeError, log } from "../log";
import { config } from "../runtime";
import { SERVER_NAME, SERVER_VERSION } from "../version";
import type { Caller } from "./caller";
import { checkAccess, type ToolCatalog, ToolError, type ToolSpec } from "./catalog";
import { createProgressReporter } from "./progress";
import { TASKS_CAPABILITY } from "./tasks";

const ENVELOPE_PROTOCOL_KEY = "io.modelcontextprotocol/protocolVersion";
/** What a 2025-era request that names no revision is taken to speak (transport spec default). */
const DEFAULT_LEGACY_REVISION = "2025-03-26";

/** The revision a request was made under: the 2026 `_meta` envelope, else the HTTP header. */
export function requestProtocolVersion(ctx: ServerContext): string {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const fromEnvelope = envelope?.[ENVELOPE_PROTOCOL_KEY] ?? envelope?.protocolVersion;
  if (typeof fromEnvelope === "string") return fromEnvelope;
  return ctx.http?.req?.headers.get("mcp-protocol-version") ?? DEFAULT_LEGACY_REVISION;
}

/**
 * Builds the MCP server for one request of one caller. Every tool the caller's roles allow is
 * registered, so `tools/list` shows them all; a tool whose scope this connection has not been
 * granted says so in its description, and calling it is answered by the gateway with a 403
 * step-up challenge (see docs/architecture.md, "Scopes"). Each call checks access once more.
 */
export function buildMcpServer(
  catalog: ToolCatalog,
  caller: Caller,
  env: Env,
  jobs: PortfolioJobs,
  era: "legacy" | "modern" = "modern",
): McpServer {
  // Tasks exist (experimentally) in the 2025-era protocol only; see ./tasks.ts.
  const withTasks = era === "legacy";
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION, title: "pandgate: Dutch property data" },
    {
      // The tool list of a connection never changes while it lasts, so no list_changed is promised.
      capabilities: { tools: { listChanged: false }, ...(withTasks && { tasks: TASKS_CAPABILITY }) },
      instructions:
        "Tools for Dutch property data (addresses, buildings, energy labels, neighbourhoods) and the signed-in user's saved property assessments.",
    },
  );
  for (const tool of catalog.all()) {
    const access = checkAccess(tool, caller);
    if (!access.ok && access.reason === "role") continue;
    const description = access.ok
      ? tool.description
      : `${tool.description}\n\nThis connection has not been allowed ${access.missing.join(" and ")} yet: calling this tool asks the user to allow it.`;
    const registered = server.registerTool(
      tool.name,
      {
        title: tool.title,
        description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: tool.annotations,
      },
      (args: unknown, ctx: ServerContext) => invokeTool(tool, args, ctx, caller, env, jobs),
    );
    if (withTasks && tool.taskSupport) registered.execution = { taskSupport: tool.taskSupport };
  }
  return server;
}

async function invokeTool(tool: ToolSpec, args: unknown, ctx: ServerContext, caller: Caller, env: Env, jobs: PortfolioJobs) {
  const access = checkAccess(tool, caller);
  if (!access.ok) return toolError(`${tool.name} is not available to this connection.`);
  try {
    const result = await tool.run(args as Record<string, unknown>, {
      caller,
      env,
      services: createServices(config, env),
      progress: createProgressReporter(ctx),
      signal: ctx.mcpReq.signal,
      protocolVersion: requestProtocolVersion(ctx),
      rpcId: ctx.mcpReq.id,
      jobs,
    });
    return { content: [{ type: "text" as const, text: tool.render(result) }], structuredContent: result };
  } catch (error) {
    if (error instanceof ToolError) return toolError(error.message);
    // A live register failed or is not configured: its message says which and what to do.
    if (error instanceof RegisterError) return toolError(`${error.message} (register: ${error.register})`);
    log("error", "tool_failed", { tool: tool.name, requestId: caller.requestId, error: describeError(error) });
    return toolError(`${tool.name} failed unexpectedly; the error was logged with request id ${caller.requestId}. Please try again.`);
  }
}

function toolError(message: string) {
  return { content: [{ type: "text" as const, text: message }], isError: true };
}
