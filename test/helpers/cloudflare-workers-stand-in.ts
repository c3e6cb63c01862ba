/**
 * `cloudflare:workers` in the "node" project (vitest.config.ts), for tests that build the MCP
 * server in Node only to list its tools: src/audit/record.ts imports `waitUntil`, which nothing
 * calls while listing. Anything that does call it fails the test.
 */
export function waitUntil(): never {
  throw new Error("waitUntil is not available in the node test project");
}
