import { JSONRPC_VERSION } from "@modelcontextprotocol/server";

/**
 * Server-defined JSON-RPC error for transport-level refusals (wrong method, media type, size,
 * Origin), as the MCP SDK answers them. The standard codes come from the SDK.
 */
export const SERVER_ERROR = -32000;

/** A JSON-RPC error answer given before a request reaches the user's agent. */
export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  id: string | number | null = null,
  headers?: HeadersInit,
): Response {
  return Response.json({ jsonrpc: JSONRPC_VERSION, error: { code, message }, id }, { status, headers });
}
