import { McpServer, type ServerContext } from "@modelcontextprotocol/server";
import type { Services } from "../data/services";
import { userFacingMessage } from "../errors";
import type { PortfolioJobs } from "../jobs/portfolio";
import { SERVER_NAME, SERVER_VERSION } from "../version";
import { addressIdOf, type Caller, type ToolCallRecorder } from "./caller";
import { checkAccess, type ToolCatalog, type ToolContext, type ToolSpec } from "./catalog";
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
 * step-up challenge (see docs/architecture.md, "Scopes"). Each call checks access once more, and
 * is recorded once through `record` (the audit trail's `mcp.tool_call`).
 */
export function buildMcpServer({
  catalog,
  caller,
  services,
  jobs,
  record,
  era = "modern",
}: {
  catalog: ToolCatalog;
  caller: Caller;
  services: Services;
  jobs: PortfolioJobs;
  record: ToolCallRecorder;
  era?: "legacy" | "modern";
}): McpServer {
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
      (args: unknown, ctx: ServerContext) => invokeTool(tool, args, ctx, { caller, services, jobs }, record),
    );
    if (withTasks && tool.task) registered.execution = { taskSupport: "optional" };
  }
  return server;
}

/**
 * Runs one call of `tool` and records how it ended: success when the tool returned, an error the
 * person can fix (`UserError`) as `tool_error`, anything else as a failure. The SDK has already
 * validated the arguments; calls it refuses never get here (the agent records those).
 */
async function invokeTool(
  tool: ToolSpec,
  args: unknown,
  ctx: ServerContext,
  on: Pick<ToolContext, "caller" | "services" | "jobs">,
  record: ToolCallRecorder,
) {
  const { caller } = on;
  const access = checkAccess(tool, caller);
  if (!access.ok) {
    record({ tool: tool.name, outcome: "denied", reason: access.reason === "role" ? "missing_role" : "insufficient_scope" });
    return toolError(`${tool.name} is not available to this connection.`);
  }
  const started = performance.now();
  const ended = () => ({ tool: tool.name, durationMs: performance.now() - started });
  try {
    const result = await tool.run(args as Record<string, unknown>, {
      ...on,
      progress: createProgressReporter(ctx),
      signal: ctx.mcpReq.signal,
      protocolVersion: requestProtocolVersion(ctx),
      rpcId: ctx.mcpReq.id,
    });
    record({ ...ended(), outcome: "success", addressId: addressIdOf(args, result) });
    return { content: [{ type: "text" as const, text: tool.render(result) }], structuredContent: result };
  } catch (error) {
    const { message, expected } = userFacingMessage(error, tool.name, {
      event: "tool_failed",
      reference: `request id ${caller.requestId}`,
      fields: { tool: tool.name },
    });
    record({
      ...ended(),
      outcome: expected ? "error" : "failure",
      reason: expected ? "tool_error" : "unexpected_error",
      addressId: addressIdOf(args),
    });
    return toolError(message);
  }
}

function toolError(message: string) {
  return { content: [{ type: "text" as const, text: message }], isError: true };
}
