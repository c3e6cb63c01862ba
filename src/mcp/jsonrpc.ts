/** JSON-RPC error answers the gateway gives before a request reaches the user's agent. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INVALID_PARAMS = -32602;
/** Server-defined error, as the MCP SDK uses for transport-level refusals (e.g. body too large). */
export const SERVER_ERROR = -32000;

export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  id: string | number | null = null,
  headers?: HeadersInit,
): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id }, { status, headers });
}
