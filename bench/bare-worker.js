/**
 * The "bare Worker" of `npm run bench`: the least a Worker can do to answer an MCP tools/call.
 * In workerd (bench/mcp.bench.ts) it is reached over a service binding (BENCH_BARE, see
 * vitest.config.ts); over HTTP (bench/overhead.bench.ts) `wrangler dev` runs it on a loopback
 * port (bench/bare-wrangler.toml), where it answers `/mcp`, pandgate's path. The bench first posts
 * the real Worker's answer to a request to `/prime/<path>`; every request to `/<path>` is then
 * read and parsed as JSON-RPC and answered with those same bytes, so both sides move the same
 * request and the same response.
 */
const primed = new Map();

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith("/prime/")) {
      const answer = { body: await request.text(), contentType: request.headers.get("content-type") ?? "application/json" };
      primed.set(pathname.slice("/prime".length), answer);
      return new Response(null, { status: 204 });
    }
    const message = await request.json();
    const answer = primed.get(pathname);
    if (message === null || typeof message !== "object" || message.jsonrpc !== "2.0" || !answer) {
      return Response.json({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request" } }, { status: 400 });
    }
    return new Response(answer.body, { headers: { "content-type": answer.contentType } });
  },
};
