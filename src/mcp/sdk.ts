/**
 * What the gateway uses of the MCP SDK (`@modelcontextprotocol/server`). The gateway imports this
 * module with `import()` on its first MCP request (`loadGatewaySdk` in ./gateway.ts), not when the
 * Worker starts: loading the SDK builds many zod schemas, and OAuth requests, pages and health
 * checks never need it. The bundler evaluates a module reached only through `import()` when it is
 * first imported, and this module names exactly what is used, so the rest of the SDK stays out.
 * Nothing the Worker loads at start-up may import the SDK statically (`npm run build -- --startup`
 * measures start-up).
 */
export {
  INTERNAL_ERROR,
  INVALID_PARAMS,
  INVALID_REQUEST,
  isJsonContentType,
  PARSE_ERROR,
  readRequestBody,
} from "@modelcontextprotocol/server";
