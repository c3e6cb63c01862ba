/**
 * `cloudflare:workers` in the "node" project (vitest.config.ts), for tests that build the MCP
 * server in Node only to list its tools: src/audit/record.ts imports `waitUntil` and src/mcp/apps.ts
 * `env` (for the apps' pages), neither used while listing. Anything that does use them fails the test.
 */
export const env: Env = new Proxy({} as Env, {
  get(_, name) {
    throw new Error(`env.${String(name)} is not available in the node test project`);
  },
});

export function waitUntil(): never {
  throw new Error("waitUntil is not available in the node test project");
}
