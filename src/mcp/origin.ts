import type { Config } from "../config";
import { isLoopbackHostname } from "../encoding";
import { jsonRpcError, SERVER_ERROR } from "./jsonrpc";

/** Request headers a browser MCP client sends that need a CORS preflight. */
const ALLOW_HEADERS =
  "Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Param-Address-Id, Mcp-Session-Id, Last-Event-ID, X-Agent-ID, X-Thread-ID, X-Data-Room-ID";
/** Response headers a browser MCP client must be able to read (discovery, step-up, negotiation). */
const EXPOSE_HEADERS = "WWW-Authenticate, Mcp-Protocol-Version, Mcp-Session-Id, Retry-After, X-Request-Id";

/**
 * The one Origin policy of the `/mcp` endpoint, for preflights and requests alike: our own
 * origin, loopback origins while the server itself runs on loopback (development), and the
 * configured `ALLOWED_ORIGINS`. A request without `Origin` is not from a browser page and passes.
 */
export function createOriginPolicy(config: Pick<Config, "publicOrigin" | "allowedOrigins" | "allowLoopbackOrigins">) {
  const allowed = new Set([config.publicOrigin, ...config.allowedOrigins]);

  function allows(origin: string): boolean {
    if (allowed.has(origin)) return true;
    if (!config.allowLoopbackOrigins || !URL.canParse(origin)) return false;
    const url = new URL(origin);
    return url.origin === origin && (url.protocol === "http:" || url.protocol === "https:") && isLoopbackHostname(url.hostname);
  }

  /** The CORS headers for an allowed origin (preflight adds what the browser asks to send). */
  function corsHeaders(origin: string, preflight: boolean): Headers {
    const headers = new Headers({
      "access-control-allow-origin": origin,
      "access-control-expose-headers": EXPOSE_HEADERS,
      vary: "Origin",
    });
    if (preflight) {
      headers.set("access-control-allow-methods", "POST, DELETE, OPTIONS");
      headers.set("access-control-allow-headers", ALLOW_HEADERS);
      headers.set("access-control-max-age", "86400");
    }
    return headers;
  }

  return {
    allows,
    /**
     * Applies the policy around `next` (the OAuth provider and, behind it, the gateway): a
     * foreign Origin gets 403 before any token is looked at, a preflight from an allowed one is
     * answered here, and every answer carries exactly our CORS headers (none for no Origin).
     */
    async guard(request: Request, next: () => Promise<Response>): Promise<Response> {
      const origin = request.headers.get("origin");
      if (origin !== null && !allows(origin)) {
        return jsonRpcError(
          403,
          SERVER_ERROR,
          "Forbidden: this Origin may not call the MCP endpoint; an operator can allow it with ALLOWED_ORIGINS",
        );
      }
      if (request.method === "OPTIONS") {
        const headers = origin === null ? new Headers() : corsHeaders(origin, true);
        return new Response(null, { status: 204, headers });
      }
      const response = await next();
      // Copied entry by entry: `new Headers(response.headers)` loses entries of a Response that
      // crossed the Durable Object RPC boundary.
      const headers = new Headers();
      for (const [name, value] of response.headers) {
        if (!name.startsWith("access-control-")) headers.append(name, value);
      }
      if (origin !== null) for (const [name, value] of corsHeaders(origin, false)) headers.set(name, value);
      else headers.set("vary", "Origin");
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    },
  };
}
