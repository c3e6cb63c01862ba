// The MCP SDK's Workers shim (@modelcontextprotocol/server/_shims, dist/shimsWorkerd.mjs) without
// its module-scope preloadSchemas(). wrangler.toml's [alias] points the SDK's own import here.
//
// The SDK builds its wire schemas (both protocol revisions, zod) eagerly on Workers so that no
// request pays for them. In pandgate most isolates never speak MCP (OAuth, pages, sign-in), so
// the Worker no longer builds them at start-up: the agent calls preloadSchemas() when it is
// constructed (src/mcp/agent.ts), and the gateway before the first request the Worker answers
// itself (src/mcp/gateway.ts, `servedInWorker`): still once per isolate, before its first MCP answer.
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
