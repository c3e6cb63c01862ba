import { isLegacyRequest } from "@modelcontextprotocol/server";
import { createMcpHandler } from "agents/mcp/server";
import type { Services } from "../data/services";
import type { PortfolioJobs } from "../jobs/portfolio";
import { addressIdOf, type Caller, type ToolCallRecord, type ToolCallRecorder } from "./caller";
import { checkAccess, type ToolCatalog, toolCallIn } from "./catalog";
import { buildMcpServer } from "./server";
import { extensionTaskCall, handleTaskMessage, offerTaskExtension, taskOfferFor } from "./tasks";
import { catalog } from "./tools";

/** What answering one MCP request needs besides the request and its parsed message. */
export interface AnswerContext {
  caller: Caller;
  services: Services;
  jobs: PortfolioJobs;
  /** Records how a tools/call ended; when it returns a promise, the answer waits for it. */
  record: ToolCallRecorder;
  /** The result files' bucket, where the agent answers (the portfolio CSV resource). */
  files?: R2Bucket;
}

/**
 * Answers one MCP request: a 2025-11-25 task message itself (./tasks.ts), everything else with the
 * MCP SDK v2 stateless handler (the `agents` package's `createMcpHandler`) over a server built
 * for this caller (./server.ts). The user's agent answers every request with it, and the Worker
 * answers with it the requests it serves itself (./gateway.ts, `servedInWorker`): one code path,
 * so the answer bytes and the audit record are the same whichever side serves.
 */
export async function answerMcp(
  request: Request,
  message: unknown,
  { caller, services, jobs, record, files }: AnswerContext,
): Promise<Response> {
  const taskContext = { catalog, caller, jobs, services, signal: request.signal, record };
  const legacy = await isLegacyRequest(request, message);
  if (legacy && taskOfferFor("legacy", request, message).legacyTasks) {
    const answer = await handleTaskMessage(message, taskContext);
    if (answer) return answer;
  }
  // The SDK answers these itself, before any tool runs; only the record is ours. A 2026-07-28
  // call that starts a task checks and records itself (./tasks.ts, `offerTaskExtension`).
  const refused = !legacy && extensionTaskCall(message, catalog) ? undefined : refusedBeforeTool(message, catalog, caller);
  if (refused) await record(refused);
  const factory = ({ era }: { era: "legacy" | "modern" }) => {
    const server = buildMcpServer({ catalog, caller, services, jobs, record, era, files, tasks: taskOfferFor(era, request, message) });
    if (era === "modern") offerTaskExtension(server, message, taskContext);
    return server;
  };
  const handler = createMcpHandler(factory, {
    route: "/mcp",
    // The gateway addresses every request to the configured public URL, and the Worker has
    // already applied the Origin policy; see src/mcp/gateway.ts and src/mcp/origin.ts.
    allowedHostnames: [new URL(request.url).hostname],
    allowedOriginHostnames: "*",
    corsOptions: false,
  });
  const answer = await handler.fetch(request, { parsedBody: message });
  if (!legacy && refused === undefined) {
    const mismatch = await headerMismatch(message, answer);
    if (mismatch) await record(mismatch);
  }
  return answer;
}

/** The JSON-RPC error code of SEP-2243's HeaderMismatch, which the SDK answers with HTTP 400. */
const HEADER_MISMATCH = -32020;

/**
 * A 2026-07-28 tools/call the SDK refused because an `Mcp-Param-*` header is missing or disagrees
 * with the argument it mirrors (SEP-2243), as its audit record; the tool never ran. The SDK
 * checks after this server's refusals and before the tool, and answers 400 with -32020; only
 * such an answer (a small JSON body, read from a copy) is looked at.
 */
async function headerMismatch(message: unknown, answer: Response): Promise<ToolCallRecord | undefined> {
  if (answer.status !== 400) return undefined;
  const { tool, args } = toolCallIn(message, catalog) ?? {};
  if (!tool) return undefined;
  const body = (await answer
    .clone()
    .json()
    .catch(() => undefined)) as { error?: { code?: unknown } } | undefined;
  if (body?.error?.code !== HEADER_MISMATCH) return undefined;
  return { tool: tool.name, outcome: "error", reason: "header_mismatch", addressId: addressIdOf(args) };
}

/**
 * A tools/call the SDK refuses before any tool runs, as its audit record: an unknown tool (or one
 * not registered for this caller's roles), or arguments that fail the tool's input schema, which
 * is the schema the SDK validates with. `undefined` for every other message, which is recorded
 * where it ends, if it is a tools/call at all.
 */
export function refusedBeforeTool(message: unknown, tools: ToolCatalog, caller: Caller): ToolCallRecord | undefined {
  const call = toolCallIn(message, tools);
  if (!call) return undefined;
  const { name, args, tool } = call;
  if (!tool) return { ...(typeof name === "string" && { tool: name }), outcome: "error", reason: "unknown_tool" };
  const access = checkAccess(tool, caller);
  if (!access.ok && access.reason === "role") return { tool: tool.name, outcome: "denied", reason: "missing_role" };
  if (!tool.input.safeParse(args ?? {}).success) {
    return { tool: tool.name, outcome: "error", reason: "invalid_arguments", addressId: addressIdOf(args) };
  }
  return undefined;
}
