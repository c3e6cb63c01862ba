import { insufficientScope, type OAuthResourceContext } from "@cloudflare/workers-oauth-provider";
import { IdentitySchema } from "../auth/identity";
import { BASELINE_SCOPES, missingScopes, scopesForChallenge } from "../auth/scopes";
import type { Config } from "../config";
import { describeError, log } from "../log";
import type { Caller } from "./caller";
import { checkAccess } from "./catalog";
import { INVALID_PARAMS, INVALID_REQUEST, jsonRpcError, PARSE_ERROR, SERVER_ERROR } from "./jsonrpc";
import { catalog } from "./tools";

/** Request headers the agent needs; everything else (Authorization, Cookie, …) stays here. */
const FORWARDED_HEADERS = ["accept", "content-type", "mcp-protocol-version", "mcp-method", "mcp-name", "user-agent"];

type McpContext = OAuthResourceContext<unknown>;

/**
 * The protected `/mcp` route. The OAuth provider has already validated the bearer token for the
 * `/mcp` resource, and the Worker has applied the Origin policy (./origin.ts); the gateway checks
 * what can be refused cheaply (method, size, JSON, scopes), then hands the request with the caller's identity and scopes to the caller's own
 * agent Durable Object and streams its answer back.
 */
export function createMcpGateway(config: Config) {
  const publicHost = new URL(config.publicOrigin).host;
  const resourcePath = new URL(config.mcpResource).pathname;

  async function serve(request: Request, env: Env, ctx: McpContext, requestId: string): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== resourcePath) {
      return Response.json({ error: "not_found", message: `Nothing here; the MCP endpoint is ${config.mcpResource}` }, { status: 404 });
    }
    if (request.method !== "POST") {
      return jsonRpcError(405, SERVER_ERROR, "Method not allowed: this endpoint is stateless and takes POST only", null, { allow: "POST" });
    }
    const identity = IdentitySchema.safeParse(ctx.props);
    if (!identity.success) {
      log("warn", "mcp_identity_invalid", { requestId, clientId: ctx.auth.clientId });
      return new Response(
        JSON.stringify({ error: "invalid_token", error_description: "The token carries no usable identity; sign in again" }),
        {
          status: 401,
          headers: { "content-type": "application/json", "www-authenticate": 'Bearer error="invalid_token"' },
        },
      );
    }
    // Delegated external tokens carry their scopes in props; the provider tracks ours.
    const external = identity.data.idp === "external-token" && ctx.auth.clientId === undefined;
    const granted = external ? (identity.data.grantedScopes ?? []) : ctx.auth.scope;
    const missing = missingScopes(granted, BASELINE_SCOPES);
    if (missing.length > 0) {
      return insufficientScope(ctx.auth, scopesForChallenge(granted, BASELINE_SCOPES), `Every MCP request needs ${missing.join(" ")}`);
    }
    if (!isJson(request.headers.get("content-type"))) {
      return jsonRpcError(415, SERVER_ERROR, "Unsupported Media Type: send the JSON-RPC message as application/json");
    }
    const body = await readLimited(request, config.maxRequestBytes);
    if (body === null) {
      return jsonRpcError(413, SERVER_ERROR, `Payload Too Large: the request body must not exceed ${config.maxRequestBytes} bytes`);
    }
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch {
      return jsonRpcError(400, PARSE_ERROR, "Parse error: the request body is not valid JSON");
    }
    const shape = classify(message);
    if (!shape.ok) return jsonRpcError(400, INVALID_REQUEST, shape.error, shape.id);

    if (shape.method === "tools/call" && shape.toolName !== undefined) {
      const tool = catalog.get(shape.toolName);
      if (tool) {
        const access = checkAccess(tool, { scopes: granted, identity: identity.data });
        if (!access.ok && access.reason === "scope") {
          return insufficientScope(
            ctx.auth,
            scopesForChallenge(granted, tool.requiredScopes),
            `${tool.name} needs the scope ${access.missing.join(" ")}`,
          );
        }
        if (!access.ok && access.reason === "role") {
          // Roles come from the identity provider; no OAuth step-up can grant them, so this is a
          // plain JSON-RPC refusal rather than a 403 challenge.
          return jsonRpcError(
            200,
            INVALID_PARAMS,
            `${tool.name} is only available to users with the app role ${access.roles.join(" or ")}; an administrator assigns app roles in Entra ID.`,
            shape.id,
          );
        }
      }
    }

    const caller: Caller = {
      identity: identity.data,
      scopes: [...granted],
      clientId: ctx.auth.clientId ?? "unknown",
      ...(ctx.auth.expiresAt !== undefined && { expiresAt: ctx.auth.expiresAt }),
      requestId,
    };
    const headers = new Headers({ host: publicHost });
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const forwarded = new Request(config.mcpResource, { method: "POST", headers, body });
    // One RPC: `getByName` and call. agents' getAgentByName adds a second round trip
    // (`__unsafe_ensureInitialized`) per request, which `npm run bench` shows costs about a third
    // of the agent path; serveMcp needs nothing that initialisation sets up.
    const agent = env.MCP_AGENT.getByName(caller.identity.userKey);
    if (shape.method === "notifications/cancelled" && shape.cancelledRequestId !== undefined) {
      // The stateless handler cannot link this notification to the request it names; the
      // agent can, for the portfolio job that request started.
      await agent.cancelJobsForRequest(shape.cancelledRequestId);
    }
    const answer = await agent.serveMcp(forwarded, caller);
    log("info", "mcp_request", {
      requestId,
      method: shape.method,
      tool: shape.toolName,
      clientId: caller.clientId,
      status: answer.status,
    });
    return answer;
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
        response = jsonRpcError(500, -32603, `Internal error; it was logged with request id ${requestId}`);
      }
      const headers = new Headers(response.headers);
      headers.set("x-request-id", requestId);
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    },
  };
}

/** `OAuthProvider` sets `ctx.auth` on its `apiHandler`'s context after validating the token. */
function hasAuth(ctx: ExecutionContext): ctx is McpContext {
  return typeof (ctx as Partial<McpContext>).auth === "object" && (ctx as Partial<McpContext>).auth !== null;
}

function isJson(contentType: string | null): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

/** The body as text, or null when it is larger than `max` bytes (read no further than that). */
async function readLimited(request: Request, max: number): Promise<string | null> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > max) return null;
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

type Classified =
  | { ok: true; method: string | undefined; toolName: string | undefined; id: string | number | null; cancelledRequestId?: string | number }
  | { ok: false; error: string; id: string | number | null };

/** Checks the JSON-RPC envelope just enough to route it; the MCP SDK validates the rest. */
function classify(message: unknown): Classified {
  if (Array.isArray(message)) {
    return { ok: false, error: "Invalid Request: JSON-RPC batches are not supported; send one message per request", id: null };
  }
  if (typeof message !== "object" || message === null) {
    return { ok: false, error: "Invalid Request: the body must be a JSON-RPC 2.0 message object", id: null };
  }
  const record = message as Record<string, unknown>;
  const id = typeof record.id === "string" || typeof record.id === "number" ? record.id : null;
  if (record.jsonrpc !== "2.0") return { ok: false, error: 'Invalid Request: "jsonrpc" must be "2.0"', id };
  if (record.method === undefined) {
    if ("result" in record || "error" in record) return { ok: true, method: undefined, toolName: undefined, id };
    return { ok: false, error: 'Invalid Request: a "method" string is required', id };
  }
  if (typeof record.method !== "string" || record.method.length === 0) {
    return { ok: false, error: 'Invalid Request: "method" must be a non-empty string', id };
  }
  const params = record.params;
  const toolName =
    record.method === "tools/call" &&
    typeof params === "object" &&
    params !== null &&
    typeof (params as Record<string, unknown>).name === "string"
      ? ((params as Record<string, unknown>).name as string)
      : undefined;
  const cancelled =
    record.method === "notifications/cancelled" && typeof params === "object" && params !== null
      ? (params as Record<string, unknown>).requestId
      : undefined;
  return {
    ok: true,
    method: record.method,
    toolName,
    id,
    ...((typeof cancelled === "string" || typeof cancelled === "number") && { cancelledRequestId: cancelled }),
  };
}
