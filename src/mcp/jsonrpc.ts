import { JSONRPC_VERSION } from "@modelcontextprotocol/server";

/**
 * Server-defined JSON-RPC error for transport-level refusals (wrong method, media type, size,
 * Origin), as the MCP SDK answers them. The standard codes come from the SDK.
 */
export const SERVER_ERROR = -32000;

/**
 * A JSON-RPC error answer given before a request reaches the user's agent. `id` is the request's
 * id when it is known; a refusal made before the body was read (or of a body with no usable id)
 * has none, and then the answer carries no `id` at all: the MCP schemas of 2025-11-25 and
 * 2026-07-28 define an error response's `id` as an optional string or integer, never `null`.
 */
export function jsonRpcError(status: number, code: number, message: string, id?: string | number, headers?: HeadersInit): Response {
  return Response.json({ jsonrpc: JSONRPC_VERSION, error: { code, message }, ...(id !== undefined && { id }) }, { status, headers });
}
