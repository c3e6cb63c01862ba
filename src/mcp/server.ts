import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type ElicitRequestFormParams,
  inputRequired,
  McpServer,
  type ServerContext,
  type StandardSchemaWithJSON,
} from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { DataProvenance, Services } from "../data/services";
import { userFacingMessage } from "../errors";
import type { PortfolioJobs } from "../jobs/portfolio";
import { SERVER_NAME, SERVER_VERSION } from "../version";
import { registerUiApps } from "./apps";
import { addressIdOf, type Caller, type ToolCallRecorder } from "./caller";
import {
  type Access,
  checkAccess,
  refuseIfDenied,
  type ToolCatalog,
  type ToolContext,
  type ToolElicitation,
  type ToolSpec,
} from "./catalog";
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
  // What the client declared it can do: per request on 2026-07-28 (the `_meta` envelope), at
  // initialize on a 2025-era connection (only a session, ./session.ts, has one; a stateless
  // request has none, so it is never asked anything).
  const capabilities = (ctx: ServerContext): ClientCapabilities | undefined =>
    era === "modern"
      ? ((ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined)
      : server.server.getClientCapabilities();
  for (const { tool, config, task } of planFor(catalog, caller, era, services.provenance.source)) {
    const registered = server.registerTool(tool.name, config, (args: unknown, ctx: ServerContext) =>
      invokeTool(tool, args, ctx, on, record, capabilities(ctx)),
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
  capabilities: ClientCapabilities | undefined,
) {
  const { caller } = on;
  const refused = await refuseIfDenied(tool, caller, record);
  if (refused) return refused;
  const started = performance.now();
  const ended = () => ({ tool: tool.name, durationMs: performance.now() - started });
  const elicitation = elicitationFor(ctx, capabilities);
  try {
    const result = await tool.run(args as Record<string, unknown>, {
      ...on,
      progress: createProgressReporter(ctx),
      signal: ctx.mcpReq.signal,
      protocolVersion: requestProtocolVersion(ctx),
      rpcId: ctx.mcpReq.id,
      elicitation,
    });
    // The tool asked the user instead of answering: the call is recorded when it answers (the
    // retry on 2026-07-28, the second run under the SDK's legacy shim on a 2025-era session).
    if (elicitation.question) return elicitation.question;
    // Recorded before the result is handed to the SDK: no byte of the answer leaves before its event is stored.
    await record({ ...ended(), outcome: "success", addressId: addressIdOf(args, result) });
    const links = resourceLinksFor(tool.name, result, requestProtocolVersion(ctx));
    const text = [tool.render(result), ...elicitation.notes].join("\n");
    return { content: [{ type: "text" as const, text }, ...links], structuredContent: result };
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

/** Whether `capabilities` declare form elicitation (a bare `elicitation: {}` is form mode, as the spec reads it). */
export function canElicitForm(capabilities: ClientCapabilities | undefined): boolean {
  const elicitation = capabilities?.elicitation as { form?: unknown; url?: unknown } | undefined;
  if (typeof elicitation !== "object" || elicitation === null) return false;
  return elicitation.form !== undefined || elicitation.url === undefined;
}

/**
 * One call's elicitation (see `ToolElicitation`): the client may be asked when it declared form
 * elicitation and this call carries no answers yet (one question per call). A question becomes
 * the SDK's input-required result: on 2026-07-28 it goes to the client as is, and the client
 * retries the call with `inputResponses`; on a 2025-era session the SDK's legacy shim sends it as
 * `elicitation/create` on the call's stream and runs the tool again with the answer.
 */
function elicitationFor(
  ctx: ServerContext,
  capabilities: ClientCapabilities | undefined,
): ToolElicitation & { question?: ReturnType<typeof inputRequired>; notes: string[] } {
  // Answers the SDK dropped as malformed still mean the call was asked: it is not asked again.
  const responses = ctx.mcpReq.inputResponses ?? {};
  const answered = Object.keys(responses).length > 0 || (ctx.mcpReq.droppedInputResponseKeys?.length ?? 0) > 0;
  const notes: string[] = [];
  const state: ToolElicitation & { question?: ReturnType<typeof inputRequired>; notes: string[] } = {
    canAsk: !answered && canElicitForm(capabilities),
    responses: answered ? responses : undefined,
    notes,
    ask(key: string, params: ElicitRequestFormParams) {
      if (!state.canAsk || state.question) return;
      state.question = inputRequired({ inputRequests: { [key]: inputRequired.elicit(params) } });
    },
    note(text: string) {
      notes.push(text);
    },
  };
  return state;
}

function toolError(message: string) {
  return { content: [{ type: "text" as const, text: message }], isError: true };
}
