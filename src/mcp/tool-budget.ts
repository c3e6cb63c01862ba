import { InMemoryTransport, type JSONRPCMessage } from "@modelcontextprotocol/server";
import type { Services } from "../data/services";
import type { PortfolioJobs } from "../jobs/portfolio";
import type { Caller } from "./caller";
import type { ToolCatalog } from "./catalog";
import { buildMcpServer, type Era } from "./server";

/**
 * The context budget of issue 19: `tools/list` for a user with every role and scope, as JSON, at
 * most 20 KB, read as 20 000 bytes (the stricter reading of "KB"). The list was about 18 000
 * bytes when set, leaving room for the MCP Apps links and a rent-points tool. Tool definitions are read by the model on every turn; the long explanations belong
 * in the text answers and the docs. `npm run build` (scripts/build.mjs) fails above it, and so
 * does test/tool-budget.test.ts; `npm run bench` reports the figures per tool.
 */
export const TOOL_LIST_BUDGET_BYTES = 20_000;

/** The estimate used for tokens: UTF-8 bytes ÷ 4, rounded up (a common rule of thumb for English text and JSON). */
export function estimateTokens(bytes: number): number {
  return Math.ceil(bytes / 4);
}

/** One tool's share of `tools/list`, in UTF-8 bytes of its JSON. */
export interface ToolSize {
  name: string;
  /** The whole tool definition as listed. */
  bytes: number;
  description: number;
  inputSchema: number;
  outputSchema: number;
  /** Name, title, annotations, execution: the rest of the definition. */
  other: number;
  tokens: number;
}

export interface ToolListSize {
  /** The `tools/list` result as sent (`{"tools":[…]}`). */
  bytes: number;
  tokens: number;
  budget: number;
  /** Each tool, largest first. */
  tools: ToolSize[];
}

const encoder = new TextEncoder();
const sizeOf = (value: unknown): number => (value === undefined ? 0 : encoder.encode(JSON.stringify(value)).length);

/** Measures a `tools/list` result: its size as JSON, and each tool's, split into description and schemas. */
export function measureToolList(result: { tools: ReadonlyArray<Record<string, unknown>> }): ToolListSize {
  const tools = result.tools.map((tool): ToolSize => {
    const bytes = sizeOf(tool);
    const description = sizeOf(tool.description);
    const inputSchema = sizeOf(tool.inputSchema);
    const outputSchema = sizeOf(tool.outputSchema);
    return {
      name: String(tool.name),
      bytes,
      description,
      inputSchema,
      outputSchema,
      other: bytes - description - inputSchema - outputSchema,
      tokens: estimateTokens(bytes),
    };
  });
  const bytes = sizeOf({ tools: result.tools });
  return { bytes, tokens: estimateTokens(bytes), budget: TOOL_LIST_BUDGET_BYTES, tools: tools.sort((a, b) => b.bytes - a.bytes) };
}

/** A caller holding every role and every scope the catalog's tools ask for: the one who sees the longest list. */
export function everyRoleCaller(catalog: ToolCatalog): Pick<Caller, "scopes" | "identity"> {
  const tools = catalog.all();
  const roles = [...new Set(tools.flatMap((tool) => tool.requiredRoles ?? []))];
  const scopes = [...new Set(tools.flatMap((tool) => tool.requiredScopes))];
  const identity = { userKey: "budget", tenantId: "budget", roles, idp: "oidc" } as Caller["identity"];
  return { identity, scopes };
}

const REVISION: Record<Era, string> = { legacy: "2025-11-25", modern: "2026-07-28" };

/**
 * The `tools/list` result the MCP server sends `caller` (by default one with every role and
 * scope) on protocol `era`: the real server (`buildMcpServer`) asked in-process over the SDK's
 * in-memory transport, so the schemas are exactly what the SDK emits. Lists only: no tool runs.
 */
export async function listToolsAsSent(
  catalog: ToolCatalog,
  era: Era,
  caller: Pick<Caller, "scopes" | "identity"> = everyRoleCaller(catalog),
): Promise<{ tools: Array<Record<string, unknown>> }> {
  const server = buildMcpServer({
    catalog,
    caller: { ...caller, clientId: "budget", requestId: "budget" },
    services: { provenance: { source: "synthetic" } } as Services,
    jobs: {} as PortfolioJobs,
    record: () => {},
    era,
  });
  const [client, transport] = InMemoryTransport.createLinkedPair();
  const waiting = new Map<string | number, (message: JSONRPCMessage) => void>();
  client.onmessage = (message) => {
    if ("id" in message && message.id !== undefined) waiting.get(message.id)?.(message);
  };
  await server.connect(transport);
  await client.start();
  const ask = async (id: number, method: string, params: Record<string, unknown>) => {
    const answered = new Promise<JSONRPCMessage>((resolve) => waiting.set(id, resolve));
    await client.send({ jsonrpc: "2.0", id, method, params } as JSONRPCMessage);
    const answer = (await answered) as { result?: unknown; error?: { message: string } };
    if (!answer.result) throw new Error(`${method} failed in-process: ${answer.error?.message ?? "no result"}`);
    return answer.result as Record<string, unknown>;
  };
  try {
    const revision = REVISION[era];
    if (era === "legacy") {
      await ask(1, "initialize", { protocolVersion: revision, capabilities: {}, clientInfo: { name: "budget", version: "1" } });
      await client.send({ jsonrpc: "2.0", method: "notifications/initialized" } as JSONRPCMessage);
      return (await ask(2, "tools/list", {})) as { tools: Array<Record<string, unknown>> };
    }
    const _meta = { "io.modelcontextprotocol/protocolVersion": revision, "io.modelcontextprotocol/clientCapabilities": {} };
    return (await ask(2, "tools/list", { _meta })) as { tools: Array<Record<string, unknown>> };
  } finally {
    await server.close();
  }
}
