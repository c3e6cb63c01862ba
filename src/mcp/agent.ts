import { Agent } from "agents";
import { createMcpHandler } from "agents/mcp/server";
import { type Caller, CallerSchema } from "./caller";
import { buildMcpServer } from "./server";
import { catalog } from "./tools";

/**
 * One Durable Object per signed-in user. The gateway calls `serveMcp` with each authenticated
 * request and the caller's identity and scopes for that request; the agent answers it with the
 * MCP SDK v2 handler. Nothing about the caller is kept between requests, so a refreshed,
 * narrowed or revoked grant is seen on the very next call.
 */
export class PandgateAgent extends Agent<Env> {
  async serveMcp(request: Request, callerInput: Caller): Promise<Response> {
    const caller = CallerSchema.parse(callerInput);
    const handler = createMcpHandler(() => buildMcpServer(catalog, caller, this.env), {
      route: "/mcp",
      // The gateway addresses every request to the configured public URL and has already
      // checked the browser Origin against it; see src/mcp/gateway.ts.
      allowedHostnames: [new URL(request.url).hostname],
      allowedOriginHostnames: "*",
      corsOptions: false,
    });
    return handler.fetch(request);
  }
}
