import { McpServer, type ServerContext, type StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { DataProvenance, Services } from "../data/services";
import { userFacingMessage } from "../errors";
import type { PortfolioJobs } from "../jobs/portfolio";
import { SERVER_NAME, SERVER_VERSION } from "../version";
import { registerUiApps } from "./apps";
import { addressIdOf, type Caller, type ToolCallRecorder } from "./caller";
import { type Access, checkAccess, refuseIfDenied, type ToolCatalog, type ToolContext, type ToolSpec } from "./catalog";
import { createProgressReporter } from "./progress";
import { checkCompletionArguments, completeAddressIds, registerPrompts } from "./prompts";
import { RESOURCE_CACHE_HINTS, registerResources, resourceLinksFor } from "./resources";
import { compactSchema, listedAnnotations } from "./schema-compact";
import { DEFAULT_LEGACY_REVISION, TASKS_CAPABILITY, TASKS_EXTENSION_CAPABILITY, type TaskOffer } from "./tasks";

const ENVELOPE_PROTOCOL_KEY = "io.modelcontextprotocol/protocolVersion";

/** The revision a request was made under: the 2026 `_meta` envelope, else the HTTP header. */
export function requestProtocolVersion(ctx: ServerContext): string {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const fromEnvelope = envelope?.[ENVELOPE_PROTOCOL_KEY] ?? envelope?.protocolVersion;
  if (typeof fromEnvelope === "string") return fromEnvelope;
  return ctx.http?.req?.headers.get("mcp-protocol-version") ?? DEFAULT_LEGACY_REVISION;
}

type DataSource = DataProvenance["source"];

/** What the SDK handler calls `era`: 2025-era (legacy) or 2026-07-28 (modern) requests. */
export type Era = "legacy" | "modern";

/** One tool as a kind of caller sees it: what `registerTool` gets, apart from the handler. */
interface ToolPlan {
  tool: ToolSpec;
  config: {
    title: string;
    description: string;
    inputSchema: StandardSchemaWithJSON;
    outputSchema: StandardSchemaWithJSON;
    annotations: ToolSpec["annotations"];
    /** The tool's MCP App, for hosts that render apps (only for tools that have one). */
    _meta?: { ui: { resourceUri: string } };
  };
  /** Offered as an MCP task (2025 era only, see ./tasks.ts). */
  task: boolean;
}

/**
 * Builds the MCP server for one request of one caller. Every tool the caller's roles allow is
 * registered, so `tools/list` shows them all; a tool whose scope this connection has not been
 * granted says so in its description, and calling it is answered by the gateway with a 403
 * step-up challenge (see docs/architecture.md, "Scopes"). Each call checks access once more, and
 * is recorded once through `record` (the audit trail's `mcp.tool_call`).
 *
 * What the caller sees is planned once per isolate for each kind of caller (`planFor`), and
 * every tool's JSON Schemas are converted once per isolate (`convertedOnce`), so a request only
 * assembles a fresh `McpServer` from ready parts: the SDK serves one exchange per instance, and
 * the handlers close over this request's caller, which is never kept.
 */
export function buildMcpServer({
  catalog,
  caller,
  services,
  jobs,
  record,
  era = "modern",
  files,
  tasks = { legacyCapability: false, legacyTasks: era === "legacy", extension: era === "modern" },
}: {
  catalog: ToolCatalog;
  caller: Caller;
  services: Services;
  jobs: PortfolioJobs;
  record: ToolCallRecorder;
  era?: Era;
  /** The result files' bucket (the agent's FILES), for the portfolio CSV resource. */
  files?: R2Bucket | undefined;
  /** Which task surface this request is offered (./tasks.ts, `taskOfferFor`). */
  tasks?: TaskOffer;
}): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION, title: "pandgate: Dutch property data" },
    {
      // The tool list of a connection never changes while it lasts, so no list_changed is promised.
      // Nor is one sent for prompts or resources: a request is answered statelessly, so a client
      // lists the user's resources again to see new ones (their lists carry ttlMs 0).
      capabilities: {
        tools: { listChanged: false },
        prompts: { listChanged: false },
        resources: { listChanged: false },
        completions: {},
        ...(tasks.legacyCapability && { tasks: TASKS_CAPABILITY }),
        ...(tasks.extension && { extensions: TASKS_EXTENSION_CAPABILITY }),
      },
      instructions:
        "Tools for Dutch property data (addresses, buildings, energy labels, neighbourhoods) and the signed-in user's saved property assessments.",
      // 2026-07-28 cache fields (./resources.ts says why); the prompts are the same for everyone and change only with a release.
      cacheHints: { ...RESOURCE_CACHE_HINTS, "prompts/list": { ttlMs: 3_600_000, cacheScope: "public" } },
    },
  );
  const on = { caller, services, jobs };
  for (const { tool, config, task } of planFor(catalog, caller, era, services.provenance.source)) {
    const registered = server.registerTool(tool.name, config, (args: unknown, ctx: ServerContext) =>
      invokeTool(tool, args, ctx, on, record),
    );
    if (task && tasks.legacyTasks) registered.execution = { taskSupport: "optional" };
  }
  registerUiApps(server);
  registerPrompts(server, services);
  registerResources(server, { caller, services, jobs, files }, (value) => completeAddressIds(services, value));
  checkCompletionArguments(server);
  return server;
}

/**
 * The tools a caller sees, with their descriptions, for one protocol era. It depends only on what
 * each tool's access check says (allowed, hidden by role, or which scopes are missing) and on the
 * era, so it is built once per isolate for each such combination and shared by every caller
 * whose checks come out the same; the caller itself is not part of it. There are at most a few
 * combinations: each tool has a handful of possible outcomes. The data source (the server's
 * configuration) sets the tools' `openWorldHint`: true, when live, for tools that read registers.
 */
export function planFor(
  catalog: ToolCatalog,
  caller: Pick<Caller, "scopes" | "identity">,
  era: Era,
  dataSource: DataSource = "synthetic",
): readonly ToolPlan[] {
  const tools = catalog.all();
  const accesses = tools.map((tool) => checkAccess(tool, caller));
  const key = `mcp-server ${era} ${dataSource} ${accesses.map(accessKey).join(",")}`;
  return catalog.derive(key, () =>
    tools.flatMap((tool, i): ToolPlan[] => {
      const access = accesses[i] as Access;
      if (!access.ok && access.reason === "role") return [];
      const description = access.ok
        ? tool.description
        : `${tool.description}\n\nThis connection has not been allowed ${access.missing.join(" and ")} yet: calling this tool asks the user to allow it.`;
      const config = {
        title: tool.title,
        description,
        inputSchema: convertedOnce(tool.input),
        outputSchema: convertedOnce(tool.output),
        annotations: annotationsFor(tool, dataSource),
        // Only the current key (hosts read it; ext-apps' registerAppTool would add the deprecated "ui/resourceUri" too).
        ...(tool.app && { _meta: { ui: { resourceUri: tool.app } } }),
      };
      return [{ tool, config, task: era === "legacy" && tool.task !== undefined }];
    }),
  );
}

/** A tool's annotations for the server's data source: reading the live registers is open-world. */
function annotationsFor(tool: ToolSpec, dataSource: DataSource): ToolSpec["annotations"] {
  const annotations = listedAnnotations(tool.annotations);
  return dataSource === "live" && tool.readsRegisters ? { ...annotations, openWorldHint: true } : annotations;
}

function accessKey(access: Access): string {
  if (access.ok) return "+";
  return access.reason === "role" ? "-" : `?${access.missing.join(" ")}`;
}

type JsonSchemaOptions = Parameters<StandardSchemaWithJSON["~standard"]["jsonSchema"]["input"]>[0];
const converted = new WeakMap<z.ZodType, StandardSchemaWithJSON>();

/**
 * `schema` as the SDK takes it, validating with zod as before, but converting to JSON Schema
 * once per isolate: the SDK asks for a tool's JSON Schemas on every `tools/list` (both schemas of
 * every tool) and on every `tools/call` (the output schema, and on 2026-07-28 the input schema
 * too), which zod would otherwise rebuild each time. The JSON is frozen, since every request
 * shares it; the SDK copies what it changes.
 */
function convertedOnce(schema: z.ZodType): StandardSchemaWithJSON {
  const known = converted.get(schema);
  if (known) return known;
  const standard = schema["~standard"];
  const results = new Map<string, Record<string, unknown>>();
  const convert = (io: "input" | "output") => (options: JsonSchemaOptions) => {
    if (options.libraryOptions !== undefined) return standard.jsonSchema[io](options);
    const key = `${io} ${options.target}`;
    let json = results.get(key);
    if (!json) {
      json = deepFreeze(compactSchema(standard.jsonSchema[io](options), io));
      results.set(key, json);
    }
    return json;
  };
  const wrapped: StandardSchemaWithJSON = {
    "~standard": {
      version: standard.version,
      vendor: standard.vendor,
      validate: standard.validate,
      ...(standard.types !== undefined && { types: standard.types }),
      jsonSchema: { input: convert("input"), output: convert("output") },
    },
  };
  converted.set(schema, wrapped);
  return wrapped;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
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
  const refused = await refuseIfDenied(tool, caller, record);
  if (refused) return refused;
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
    // Recorded before the result is handed to the SDK: no byte of the answer leaves before its event is stored.
    await record({ ...ended(), outcome: "success", addressId: addressIdOf(args, result) });
    const links = resourceLinksFor(tool.name, result, requestProtocolVersion(ctx));
    return { content: [{ type: "text" as const, text: tool.render(result) }, ...links], structuredContent: result };
  } catch (error) {
    const { message, expected } = userFacingMessage(error, tool.name, {
      event: "tool_failed",
      reference: `request id ${caller.requestId}`,
      fields: { tool: tool.name },
    });
    await record({
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
