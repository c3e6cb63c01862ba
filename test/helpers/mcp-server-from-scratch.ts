import { McpServer, type StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { z } from "zod";
import { registerUiApps } from "../../src/mcp/apps";
import type { Caller } from "../../src/mcp/caller";
import { checkAccess, type ToolCatalog } from "../../src/mcp/catalog";
import { compactSchema, listedAnnotations } from "../../src/mcp/schema-compact";
import type { Era } from "../../src/mcp/server";
import { TASKS_EXTENSION_CAPABILITY } from "../../src/mcp/tasks";
import { SERVER_NAME, SERVER_VERSION } from "../../src/version";

/**
 * The MCP server as `buildMcpServer` built it before it planned per kind of caller and kept each
 * tool's JSON Schemas: everything from scratch on every request, the zod schemas handed to the
 * SDK as they are (their JSON Schema shortened as the server sends it, src/mcp/schema-compact.ts,
 * on every request). Its tools refuse every call. test/mcp-server-plan.test.ts holds the planned
 * server to what this one lists; `npm run bench` measures the two side by side.
 */
export function mcpServerFromScratch(catalog: ToolCatalog, caller: Pick<Caller, "scopes" | "identity">, era: Era): McpServer {
  const withTasks = era === "legacy";
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION, title: "pandgate: Dutch property data" },
    {
      // The task capability as buildMcpServer declares it by default: none in 2025-11-25 (a
      // client that declares tasks gets one, see test/tasks-extension.test.ts), the extension in 2026-07-28.
      capabilities: { tools: { listChanged: false }, ...(!withTasks && { extensions: TASKS_EXTENSION_CAPABILITY }) },
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
        inputSchema: compacted(tool.input),
        outputSchema: compacted(tool.output),
        annotations: listedAnnotations(tool.annotations),
        ...(tool.app && { _meta: { ui: { resourceUri: tool.app } } }),
      },
      async () => ({ content: [{ type: "text" as const, text: `${tool.name} is not available here.` }], isError: true }),
    );
    if (withTasks && tool.task) registered.execution = { taskSupport: "optional" };
  }
  // The ui:// resources of the MCP Apps are not planned per caller: the same module registers them.
  registerUiApps(server);
  return server;
}

/** `schema` as the SDK takes it, converted to JSON Schema (and shortened) anew on every call. */
function compacted(schema: z.ZodType): StandardSchemaWithJSON {
  const standard = schema["~standard"];
  const convert = (io: "input" | "output") => (options: Parameters<typeof standard.jsonSchema.input>[0]) =>
    compactSchema(standard.jsonSchema[io](options), io);
  return { "~standard": { ...standard, jsonSchema: { input: convert("input"), output: convert("output") } } };
}
