import { insufficientScope, type OAuthResourceContext } from "@cloudflare/workers-oauth-provider";
import {
  INTERNAL_ERROR,
  INVALID_PARAMS,
  INVALID_REQUEST,
  isJsonContentType,
  PARSE_ERROR,
  preloadSchemas,
} from "@modelcontextprotocol/server";
import { recordAudit } from "../audit/record";
import { type Identity, IdentitySchema } from "../auth/identity";
import { BASELINE_SCOPES, missingScopes, scopesForChallenge } from "../auth/scopes";
import type { Config } from "../config";
import { createServices } from "../data/services";
import type { PortfolioJobs } from "../jobs/portfolio";
import { describeError, log } from "../log";
import { createRateLimiter } from "../rate-limit";
import { readJsonBody } from "../request-body";
import { answerMcp } from "./answer";
import {
  type Caller,
  type Correlation,
  correlationOf,
  type ToolCallReason,
  type ToolCallRecorder,
  toolCallEvent,
  UNKNOWN_CLIENT,
} from "./caller";
import { checkAccess } from "./catalog";
import { jsonRpcError, SERVER_ERROR } from "./jsonrpc";
import { isLaneSessionId } from "./session";
import { catalog } from "./tools";

/** Request headers the agent needs; everything else (Authorization, Cookie, …) stays here. */
const FORWARDED_HEADERS = new Set(["accept", "content-type", "mcp-protocol-version", "mcp-method", "mcp-name", "user-agent"]);
/** The session a 2025-era client that can be asked was given at initialize (./session.ts). */
const SESSION_HEADER = "mcp-session-id";
/** A request naming one of the sessions the agents give (not an older server's id, which changes nothing). */
const inSession = (request: Request) => isLaneSessionId(request.headers.get(SESSION_HEADER));
/**
 * SEP-2243 (2026-07-28) custom headers, `Mcp-Param-{Name}`, which mirror a tool's `x-mcp-header`
 * arguments (e.g. `Mcp-Param-Address-Id`): the SDK checks them against the body wherever the call
 * is answered (the Worker or the agent), so they travel with the forwarded request.
 */
const FORWARDED_HEADER_PREFIX = "mcp-param-";

type McpContext = OAuthResourceContext<unknown>;

/**
 * The portfolio jobs of a request the Worker serves: none. Only stateless tools are served there
 * (`servedInWorker`), and none of them touches a job; one that did would fail loudly here rather
 * than start a job outside the user's agent.
 */
const NO_JOBS = new Proxy({} as PortfolioJobs, {
  get() {
    throw new Error("portfolio jobs live in the user's agent; the Worker served this request");
  },
});

/**
 * Methods whose answer depends on the caller's token only, never on what the user saved: the
 * tool list, the guided workflows (./prompts.ts), completion (the address search, which must be
 * quick enough to type against) and the resource templates. The user's resources themselves
 * (`resources/list`, `resources/read`) are answered by the agent, which holds their jobs.
 */
const WORKER_METHODS = new Set(["tools/list", "prompts/list", "prompts/get", "completion/complete", "resources/templates/list"]);

/**
 * Whether the Worker answers this message itself rather than the user's agent: WORKER_METHODS, and a `tools/call` of a stateless read-only tool
 * (`ToolSpec.stateless`: property facts, address search, the server and sign-in information),
 * which reads nothing the user wrote and starts nothing that outlives the request. Everything
 * else (initialize, every other tool, tasks, cancellation, notifications) goes to the agent.
 */
export function servedInWorker(message: { method: string | undefined; params: Record<string, unknown> }): boolean {
  if (message.method !== undefined && WORKER_METHODS.has(message.method)) return true;
  if (message.method !== "tools/call" || typeof message.params.name !== "string") return false;
  const spec = catalog.get(message.params.name);
  return spec?.stateless === true && spec.annotations.readOnlyHint === true && spec.task === undefined;
}

/** What the checks have established about a request so far. */
interface Checked {
  identity: Identity;
  scopes: string[];
  /** Blockbrain's correlation headers, cleaned; for the agent and the audit trail only. */
  correlation: Correlation | undefined;
  /** Records this request's tools/call in the audit trail, when the gateway refuses it. */
  record: ToolCallRecorder;
  body: string;
  /** The body, parsed once here; the agent and the SDK take it as it is. */
  json: unknown;
  message: Envelope;
}

/** The JSON-RPC envelope, read just enough to route it; the SDK validates the rest. */
interface Envelope {
  /** Absent when the message carries no string or number id (a notification, or a broken id). */
  id: string | number | undefined;
  method: string | undefined;
  params: Record<string, unknown>;
}

/**
 * The protected `/mcp` route. The OAuth provider has already validated the bearer token for the
 * `/mcp` resource, and the Worker has applied the Origin policy (./origin.ts). The gateway refuses
 * what it can cheaply, in one direction: route and method, identity and baseline scope, the
 * user's rate limit, then the body (content type, size, nesting depth, JSON, one JSON-RPC message, parsed
 * once), then the tool's own scope and role. Only then does it hand the request, the parsed
 * message and the caller to the caller's own agent Durable Object, and stream its answer back;
 * or, for `tools/list` and a stateless read-only tool (`servedInWorker`), answer it here with the
 * agent's own code (./answer.ts) and a D1 session of its own, saving the hop to the agent.
 * A tools/call it refuses is recorded in the audit trail here (`denied`), except over the rate
 * limit, which the limiter records once per user and window; every other tools/call is recorded
 * by whichever side answered it: the agent in its outbox, the Worker straight into D1, awaited
 * before the answer's first byte.
 */
export function createMcpGateway(config: Config) {
  const publicHost = new URL(config.publicOrigin).host;
  const resourcePath = new URL(config.mcpResource).pathname;
  const limiter = config.rateLimits?.mcp && createRateLimiter(config.rateLimits.mcp);
  let schemasBuilt = false;

  /**
   * The user's rate limit (MCP_LIMITER, keyed by the user key), counted before the body is read
   * so that a refused request costs neither the read nor the agent hop.
   */
  async function throttle(env: Env, ctx: McpContext, identity: Identity, requestId: string): Promise<Response | undefined> {
    if (!limiter) return undefined;
    // Recorded once per user and window (`rate_limit.exceeded`), not per refused request: a client
    // hammering past its limit must not turn every refusal into an audit write.
    const retryAfter = await limiter.check(
      env,
      identity.userKey,
      { requestId, clientId: ctx.auth.clientId },
      {
        actor: "user",
        userKey: identity.userKey,
        tenantId: identity.tenantId,
        ...(ctx.auth.clientId !== undefined && { clientId: ctx.auth.clientId }),
        route: `POST ${resourcePath}`,
      },
    );
    if (retryAfter === undefined) return undefined;
    return jsonRpcError(429, SERVER_ERROR, `Too many requests: slow down, and try again in ${retryAfter} seconds`, undefined, {
      "retry-after": String(retryAfter),
    });
  }

  function route(request: Request): Response | undefined {
    if (new URL(request.url).pathname !== resourcePath) return notTheEndpoint(config);
    // DELETE ends a session (./session.ts); without one there is nothing to end.
    if (request.method === "DELETE" && inSession(request)) return undefined;
    if (request.method !== "POST") {
      return jsonRpcError(405, SERVER_ERROR, "Method not allowed: this endpoint is stateless and takes POST only", undefined, {
        allow: "POST",
      });
    }
    return undefined;
  }

  function caller(ctx: McpContext, requestId: string): Response | Pick<Checked, "identity" | "scopes"> {
    const identity = IdentitySchema.safeParse(ctx.props);
    if (!identity.success) {
      log("warn", "mcp_identity_invalid", { requestId, clientId: ctx.auth.clientId });
      return Response.json(
        { error: "invalid_token", error_description: "The token carries no usable identity; sign in again" },
        { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } },
      );
    }
    // Delegated external tokens carry their scopes in props; the provider tracks ours.
    const external = identity.data.idp === "external-token" && ctx.auth.clientId === undefined;
    const scopes = external ? (identity.data.grantedScopes ?? []) : ctx.auth.scope;
    return { identity: identity.data, scopes };
  }

  /** Every MCP request needs the baseline scope (`mcp:read`). */
  function baseline(ctx: McpContext, scopes: string[]): Response | undefined {
    const missing = missingScopes(scopes, BASELINE_SCOPES);
    if (missing.length === 0) return undefined;
    return insufficientScope(ctx.auth, scopesForChallenge(scopes, BASELINE_SCOPES), `Every MCP request needs ${missing.join(" ")}`);
  }

  /**
   * A refusal made before the body is read, recorded when the request may be a tools/call: a
   * JSON body whose `Mcp-Method` header says so (and `Mcp-Name` names the tool), or, from clients
   * that send no such header, may be one, recorded without a tool. The body stays unread: reading
   * it would cost what refusing early saves.
   */
  function refuseBeforeBody(request: Request, record: ToolCallRecorder, refusal: Response, reason: ToolCallReason): Response {
    if (!isJsonContentType(request.headers.get("content-type"))) return refusal;
    const method = request.headers.get("mcp-method");
    if (method !== null && method !== "tools/call") return refusal;
    const name = method === null ? null : request.headers.get("mcp-name");
    const tool = name !== null ? catalog.get(name)?.name : undefined;
    record({ ...(tool !== undefined && { tool }), outcome: "denied", reason });
    return refusal;
  }

  async function body(request: Request): Promise<Response | Pick<Checked, "body" | "json" | "message">> {
    if (!isJsonContentType(request.headers.get("content-type"))) {
      return jsonRpcError(415, SERVER_ERROR, "Unsupported Media Type: send the JSON-RPC message as application/json");
    }
    // Size and nesting are bounded before anything parses or recurses over the body (../request-body.ts).
    const read = await readJsonBody(request, config.maxRequestBytes);
    if (!read.ok) {
      if (read.problem === "too_large") return jsonRpcError(413, SERVER_ERROR, `Payload Too Large: ${read.message}`);
      if (read.problem === "too_deep") return jsonRpcError(400, PARSE_ERROR, `Parse error: ${read.message}; send a flatter message`);
      return jsonRpcError(400, PARSE_ERROR, "Parse error: the request body is not valid JSON");
    }
    const parsed = read.value;
    const message = envelope(parsed);
    if ("error" in message) return jsonRpcError(400, INVALID_REQUEST, message.error, message.id);
    return { body: read.text, json: parsed, message };
  }

  function tool(ctx: McpContext, checked: Checked): Response | undefined {
    const { message, scopes, identity, record } = checked;
    if (message.method !== "tools/call" || typeof message.params.name !== "string") return undefined;
    const spec = catalog.get(message.params.name);
    if (!spec) return undefined; // the SDK answers an unknown tool (the agent records it)
    const access = checkAccess(spec, { scopes, identity });
    if (access.ok) return undefined;
    if (access.reason === "scope") {
      record({ tool: spec.name, outcome: "denied", reason: "insufficient_scope" });
      return insufficientScope(
        ctx.auth,
        scopesForChallenge(scopes, spec.requiredScopes),
        `${spec.name} needs the scope ${access.missing.join(" ")}`,
      );
    }
    // Roles come from the identity provider; no OAuth step-up can grant them, so this is a plain
    // JSON-RPC refusal rather than a 403 challenge.
    record({ tool: spec.name, outcome: "denied", reason: "missing_role" });
    return jsonRpcError(
      200,
      INVALID_PARAMS,
      `${spec.name} is only available to users with the app role ${access.roles.join(" or ")}; an administrator assigns app roles in Entra ID.`,
      message.id,
    );
  }

  async function forward(request: Request, env: Env, ctx: McpContext, checked: Checked, requestId: string): Promise<Response> {
    const { correlation } = checked;
    const who: Caller = {
      identity: checked.identity,
      scopes: [...checked.scopes],
      clientId: ctx.auth.clientId ?? UNKNOWN_CLIENT,
      ...(ctx.auth.expiresAt !== undefined && { expiresAt: ctx.auth.expiresAt }),
      requestId,
      ...(correlation !== undefined && { correlation }),
    };
    const headers = new Headers({ host: publicHost });
    for (const [name, value] of request.headers) {
      if (FORWARDED_HEADERS.has(name) || name.startsWith(FORWARDED_HEADER_PREFIX)) headers.set(name, value);
    }
    // Only the agents' own session ids travel (to the agent that keeps them); any other id stays here and changes nothing.
    if (inSession(request)) headers.set(SESSION_HEADER, request.headers.get(SESSION_HEADER) ?? "");
    const forwarded = new Request(config.mcpResource, { method: "POST", headers, body: checked.body });
    // A request of a session goes to the agent that keeps the session, whatever it asks.
    const answer =
      servedInWorker(checked.message) && !inSession(request)
        ? await serveInWorker(forwarded, env, checked, who)
        : await serveInAgent(forwarded, env, checked, who);
    // No line for an answered request: each tools/call is in the audit trail with this request id,
    // and Workers observability keeps every invocation; a line per call cost ~2 ms under wrangler
    // dev (npm run bench). What did not succeed is always logged.
    if (answer.status < 400) return answer;
    log("warn", "mcp_request", {
      requestId,
      method: checked.message.method,
      tool: typeof checked.message.params.name === "string" ? checked.message.params.name : undefined,
      clientId: who.clientId,
      status: answer.status,
    });
    return answer;
  }

  /** DELETE with a session id: the user's agent ends that session (200), or has none by that id (404). */
  async function endSession(
    request: Request,
    env: Env,
    ctx: McpContext,
    who: Pick<Checked, "identity" | "scopes">,
    requestId: string,
  ): Promise<Response> {
    const headers = new Headers({ host: publicHost, [SESSION_HEADER]: request.headers.get(SESSION_HEADER) ?? "" });
    const caller: Caller = {
      identity: who.identity,
      scopes: [...who.scopes],
      clientId: ctx.auth.clientId ?? UNKNOWN_CLIENT,
      requestId,
    };
    return env.MCP_AGENT.getByName(who.identity.userKey).serveMcp(
      new Request(config.mcpResource, { method: "DELETE", headers }),
      undefined,
      caller,
    );
  }

  /** The user's agent answers (the request as the Worker will forward it, its parsed message, the caller). */
  async function serveInAgent(forwarded: Request, env: Env, checked: Checked, who: Caller): Promise<Response> {
    // One RPC: `getByName` and call; agents' getAgentByName adds an initialisation round trip per
    // request that serveMcp does not need.
    const agent = env.MCP_AGENT.getByName(who.identity.userKey);
    const cancelled = checked.message.method === "notifications/cancelled" ? checked.message.params.requestId : undefined;
    if (typeof cancelled === "string" || typeof cancelled === "number") {
      // The stateless handler cannot link this notification to the request it names; the agent
      // can, for the portfolio job that request started.
      await agent.cancelJobsForRequest(cancelled);
    }
    return agent.serveMcp(forwarded, checked.json, who);
  }

  /**
   * The Worker answers, with the agent's code and the same forwarded request, so the bytes are the
   * agent's. Its D1 session starts anywhere ("first-unconstrained"): a stateless tool reads
   * nothing the user wrote, so no bookmark of theirs is needed, and none is kept. The tools/call's
   * audit event is written to D1 (the queue if D1 refuses) and awaited before the tool's result
   * is handed to the SDK.
   */
  async function serveInWorker(forwarded: Request, env: Env, checked: Checked, who: Caller): Promise<Response> {
    if (!schemasBuilt) {
      // What the agent does when constructed: the SDK's wire schemas, once per isolate.
      preloadSchemas();
      schemasBuilt = true;
    }
    const record: ToolCallRecorder = (call) => recordAudit(env, toolCallEvent(who, call));
    return answerMcp(forwarded, checked.json, { caller: who, services: createServices(config, env), jobs: NO_JOBS, record });
  }

  async function serve(request: Request, env: Env, ctx: McpContext, requestId: string): Promise<Response> {
    const refused = route(request);
    if (refused) return refused;
    const who = caller(ctx, requestId);
    if (who instanceof Response) return who;
    const correlation = correlationOf(request.headers);
    const record = recorder(env, ctx, who.identity, requestId, correlation);
    const unscoped = baseline(ctx, who.scopes);
    if (unscoped) return refuseBeforeBody(request, record, unscoped, "insufficient_scope");
    const throttled = await throttle(env, ctx, who.identity, requestId);
    if (throttled) return throttled;
    if (request.method === "DELETE") return endSession(request, env, ctx, who, requestId);
    const content = await body(request);
    if (content instanceof Response) return content;
    const checked: Checked = { ...who, correlation, record, ...content };
    return tool(ctx, checked) ?? (await forward(request, env, ctx, checked, requestId));
  }

  return {
    async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
      const requestId = crypto.randomUUID();
      let response: Response;
      try {
        if (!hasAuth(ctx)) throw new Error("the OAuth provider did not attach ctx.auth");
        response = await serve(request, env, ctx, requestId);
      } catch (error) {
        log("error", "mcp_gateway_failed", { requestId, error: describeError(error) });
        response = jsonRpcError(500, INTERNAL_ERROR, `Internal error; it was logged with request id ${requestId}`);
      }
      // Copied entry by entry: `new Headers(response.headers)` drops the content type of an
      // answer the SDK built in this isolate (a Worker-served call), as ./origin.ts notes for
      // answers that crossed the Durable Object RPC boundary.
      const headers = new Headers();
      for (const [name, value] of response.headers) headers.append(name, value);
      headers.set("x-request-id", requestId);
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    },
  };
}

/**
 * The answer to a path under the MCP endpoint that is not the endpoint (`/mcp//`, `/mcp/x`): the
 * same 404 with or without a token, since no token can make it exist. The Worker gives it before
 * the token check (../oauth.ts); the gateway's route check gives it too, should one get through.
 */
export function notTheEndpoint(config: Pick<Config, "mcpResource">): Response {
  return Response.json(
    { error: "not_found", message: `Nothing here; the MCP endpoint is ${config.mcpResource}` },
    { status: 404, headers: { "cache-control": "no-store" } },
  );
}

/** Records a tools/call the gateway refuses, with who made it and the request's correlation headers. */
function recorder(
  env: Env,
  ctx: McpContext,
  identity: Identity,
  requestId: string,
  correlation: Correlation | undefined,
): ToolCallRecorder {
  const who = { identity, clientId: ctx.auth.clientId ?? UNKNOWN_CLIENT, requestId, ...(correlation !== undefined && { correlation }) };
  return (call) => recordAudit(env, toolCallEvent(who, call));
}

/** `OAuthProvider` sets `ctx.auth` on its `apiHandler`'s context after validating the token. */
function hasAuth(ctx: ExecutionContext): ctx is McpContext {
  return typeof (ctx as Partial<McpContext>).auth === "object" && (ctx as Partial<McpContext>).auth !== null;
}

/** One JSON-RPC 2.0 message object (no batch), with what routing needs; or what is wrong with it. */
function envelope(value: unknown): Envelope | { error: string; id: string | number | undefined } {
  if (Array.isArray(value)) {
    return { error: "Invalid Request: JSON-RPC batches are not supported; send one message per request", id: undefined };
  }
  if (typeof value !== "object" || value === null) {
    return { error: "Invalid Request: the body must be a JSON-RPC 2.0 message object", id: undefined };
  }
  const record = value as Record<string, unknown>;
  const id = typeof record.id === "string" || typeof record.id === "number" ? record.id : undefined;
  if (record.jsonrpc !== "2.0") return { error: 'Invalid Request: "jsonrpc" must be "2.0"', id };
  const params = typeof record.params === "object" && record.params !== null ? (record.params as Record<string, unknown>) : {};
  if (record.method === undefined) {
    if ("result" in record || "error" in record) return { id, method: undefined, params };
    return { error: 'Invalid Request: a "method" string is required', id };
  }
  if (typeof record.method !== "string" || record.method.length === 0) {
    return { error: 'Invalid Request: "method" must be a non-empty string', id };
  }
  return { id, method: record.method, params };
}
