// The MCP SDK's Workers shim (@modelcontextprotocol/server/_shims, dist/shimsWorkerd.mjs) without
// its module-scope preloadSchemas(). wrangler.toml's [alias] points the SDK's own import here.
//
// The SDK builds its wire schemas (both protocol revisions, zod) eagerly on Workers so that no
// request pays for them. In pandgate only the user's agent (a Durable Object) speaks MCP through
// the SDK; the Worker itself (OAuth, pages, the gateway) never validates an MCP message. So the
// Worker no longer builds them at start-up, and the agent calls preloadSchemas() when it is
// constructed (src/mcp/agent.ts): still once per isolate, still before its first MCP request.
// Same exports as the SDK's shim; scripts/build.mjs checks that they still agree.
export { CfWorkerJsonSchemaValidator as DefaultJsonSchemaValidator } from "@modelcontextprotocol/server/validators/cf-worker";

function notSupported() {
  throw new Error("StdioServerTransport is not supported in this environment. Use StreamableHTTPServerTransport instead.");
}

/** Stub process object: StdioServerTransport is not supported in Cloudflare Workers. */
export const process = {
  get stdin() {
    return notSupported();
  },
  get stdout() {
    return notSupported();
  },
};
