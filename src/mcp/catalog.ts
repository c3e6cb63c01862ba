import type { ElicitRequestFormParams, ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";
import { missingScopes } from "../auth/scopes";
import type { Services } from "../data/services";
import type { JobRow, PortfolioJobs } from "../jobs/portfolio";
import type { Caller, ToolCallRecorder } from "./caller";
import type { ProgressReporter } from "./progress";

/** What a tool's `run` receives besides its validated arguments. */
export interface ToolContext {
  caller: Caller;
  services: Services;
  progress: ProgressReporter;
  signal: AbortSignal;
  /** The MCP protocol revision this request was made under. */
  protocolVersion: string;
  /** The JSON-RPC id of this tools/call (what a client's notifications/cancelled names). */
  rpcId: string | number;
  /** The user's portfolio jobs, in the agent that serves this request. */
  jobs: PortfolioJobs;
  /** Asking the user for more input during the call (form elicitation), where the client can be asked. */
  elicitation?: ToolElicitation;
}

/**
 * A tool's view of elicitation for one call (./server.ts builds it): whether the client can be
 * asked now, the answers to the question this call already asked, and the means to ask. A tool
 * asks at most once per call: `canAsk` is false once the call carries answers.
 */
export interface ToolElicitation {
  /** The client declared form elicitation and this call has not been asked anything yet. */
  readonly canAsk: boolean;
  /** The client's answers to the question this call asked, keyed as asked; undefined before it was asked. */
  readonly responses: Record<string, unknown> | undefined;
  /** Ends the call with this question instead of the tool's result; the call comes back with the answer. */
  ask(key: string, params: ElicitRequestFormParams): void;
  /** A sentence for the text answer on what was asked and what came of it. */
  note(text: string): void;
}

/**
 * A tool, described once: its name, schemas, annotations and who may use it. The MCP server,
 * `tools/list` filtering, the gateway's step-up check and the tests all read this one record.
 */
export interface ToolSpec<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /**
   * Reads property data, which with DATA_SOURCE=live comes from the public registers: the server
   * then announces the tool with `openWorldHint: true` (its `annotations` say how it behaves on
   * the synthetic dataset).
   */
  readsRegisters?: boolean;
  /**
   * Reads nothing of the user's own (no assessments, no jobs, no audit trail), writes nothing,
   * and is no task: property facts and the caller's own token are the same whichever D1 replica
   * or isolate answers. The Worker serves such a call itself, without the hop to the user's agent
   * (./gateway.ts); every other call goes to the agent. Only for tools whose `readOnlyHint` is true.
   */
  stateless?: boolean;
  /**
   * The MCP App (a `ui://` resource, ./apps.ts) hosts that render apps show this tool's result in:
   * announced as `_meta.ui.resourceUri` in tools/list. The result itself is the same either way.
   */
  app?: `ui://${string}`;
  /**
   * May ask the user for more input during a call (`ToolContext.elicitation`): a 2025-era
   * session's call of such a tool is served where the question can be asked (./session.ts).
   */
  elicits?: boolean;
  /** Every scope a call needs, the baseline included. */
  requiredScopes: readonly string[];
  /** App roles a caller must hold (any one of them); empty or absent means everyone. */
  requiredRoles?: readonly string[];
  /**
   * Also offered as an MCP task where the protocol revision has tasks (2025-11-25,
   * `execution.taskSupport: "optional"`): how a task-augmented call starts its portfolio job, and
   * the tool result `tasks/result` returns once the job has ended. ./tasks.ts drives it.
   */
  task?: {
    start(args: z.output<I>, ctx: Pick<ToolContext, "services" | "jobs" | "caller" | "rpcId">): Promise<JobRow>;
    result(job: JobRow, jobs: PortfolioJobs): Promise<{ structured: z.output<O>; text: string }>;
  };
  run(args: z.output<I>, ctx: ToolContext): Promise<z.output<O>>;
  /** A short text rendering of the result for clients that show text only. */
  render(result: z.output<O>): string;
}

export type Access =
  | { ok: true }
  | { ok: false; reason: "scope"; missing: string[] }
  | { ok: false; reason: "role"; roles: readonly string[] };

/**
 * Whether `caller` may call `tool`. Roles are checked first: they come from the identity provider
 * and no OAuth step-up can grant them, while a missing scope is the person's to allow.
 */
export function checkAccess(tool: ToolSpec, caller: Pick<Caller, "scopes" | "identity">): Access {
  const roles = tool.requiredRoles ?? [];
  if (roles.length > 0 && !roles.some((role) => caller.identity.roles.includes(role))) {
    return { ok: false, reason: "role", roles };
  }
  const missing = missingScopes(caller.scopes, tool.requiredScopes);
  if (missing.length > 0) return { ok: false, reason: "scope", missing };
  return { ok: true };
}

/** A `tools/call` message as the server's checks read it: the name it gives, its arguments, and the tool of that name. */
export interface ToolCallMessage {
  name: unknown;
  args: unknown;
  /** The catalog's tool of that name; undefined for a name it does not have. */
  tool: ToolSpec | undefined;
  params: Record<string, unknown>;
}

/** `message` read as a `tools/call` of one of `tools`; undefined for any other message (or a batch). */
export function toolCallIn(message: unknown, tools: ToolCatalog): ToolCallMessage | undefined {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return undefined;
  const { method, params } = message as { method?: unknown; params?: unknown };
  if (method !== "tools/call") return undefined;
  const p = (typeof params === "object" && params !== null ? params : {}) as Record<string, unknown>;
  return { name: p.name, args: p.arguments, tool: typeof p.name === "string" ? tools.get(p.name) : undefined, params: p };
}

/**
 * A tools/call of `tool` that `checkAccess` refuses for `caller`, recorded (`denied`, with why) and
 * answered as a tool error; `undefined` when the caller may call it. For every path that runs a
 * tool: ./server.ts (`invokeTool`) and a 2026-07-28 task start (./tasks.ts).
 */
export async function refuseIfDenied(tool: ToolSpec, caller: Pick<Caller, "scopes" | "identity">, record: ToolCallRecorder) {
  const access = checkAccess(tool, caller);
  if (access.ok) return undefined;
  await record({ tool: tool.name, outcome: "denied", reason: access.reason === "role" ? "missing_role" : "insufficient_scope" });
  return { content: [{ type: "text" as const, text: `${tool.name} is not available to this connection.` }], isError: true };
}

/** Keeps every tool in one place, by name. */
export class ToolCatalog {
  readonly #tools = new Map<string, ToolSpec>();
  /** Values computed from the tools (see `derive`); dropped whenever a tool is added. */
  readonly #derived = new Map<string, unknown>();

  add<I extends z.ZodObject, O extends z.ZodObject>(tool: ToolSpec<I, O>): this {
    if (this.#tools.has(tool.name)) throw new Error(`tool ${tool.name} is already in the catalog`);
    this.#tools.set(tool.name, tool as unknown as ToolSpec);
    this.#derived.clear();
    return this;
  }

  /**
   * A value computed from the tools once and kept for the life of the isolate, under `key`, until
   * a tool is added (the tests add probe tools to the real catalog). `build` must depend on
   * nothing but the tools and what `key` names: never on a caller.
   */
  derive<T>(key: string, build: (tools: readonly ToolSpec[]) => T): T {
    if (this.#derived.has(key)) return this.#derived.get(key) as T;
    const value = build(this.all());
    this.#derived.set(key, value);
    return value;
  }

  get(name: string): ToolSpec | undefined {
    return this.#tools.get(name);
  }

  all(): ToolSpec[] {
    return [...this.#tools.values()];
  }
}
