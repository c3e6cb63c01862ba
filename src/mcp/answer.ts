import { isLegacyRequest, preloadSchemas } from "@modelcontextprotocol/server";
import { createMcpHandler } from "agents/mcp/server";
import { recordAudit } from "../audit/record";
import type { Services } from "../data/services";
import type { PortfolioJobs } from "../jobs/portfolio";
import { addressIdOf, type Caller, type ToolCallRecord, type ToolCallRecorder, toolCallEvent } from "./caller";
import { checkAccess, type ToolCatalog } from "./catalog";
import { buildMcpServer } from "./server";
import { handleTaskMessage } from "./tasks";
import { catalog } from "./tools";

/*
 * How the user's agent answers one MCP request: MCP tasks for 2025-era requests, else the SDK v2
 * handler (`createMcpHandler` from `agents/mcp/server`) around a server built for this caller.
 * The agent imports this module with `import()` on its first MCP request, so neither the
 * Worker's start-up nor an agent woken only for a portfolio batch pays for loading the MCP SDK;
 * loading it builds the SDK's wire schemas once per isolate, here (the Worker's bundle leaves
 * them out of the SDK's own start-up: shims/mcp-server-workerd.mjs).
 */
preloadSchemas();

export interface McpRequestContext {
  env: Env;
  caller: Caller;
  services: Services;
  jobs: PortfolioJobs;
}

export async function answerMcp(request: Request, message: unknown, { env, caller, services, jobs }: McpRequestContext): Promise<Response> {
  const record: ToolCallRecorder = (call) => recordAudit(env, toolCallEvent(caller, call));
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
    // already applied the Origin policy; see ./gateway.ts and ./origin.ts.
    allowedHostnames: [new URL(request.url).hostname],
    allowedOriginHostnames: "*",
    corsOptions: false,
  });
  return handler.fetch(request, { parsedBody: message });
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
