import { z } from "zod";
import type { AuditInput, AuditOutcome } from "../audit/events";
import { cleanText } from "../audit/events";
import { IdentitySchema } from "../auth/identity";

/** The client id a caller has when its token names none (delegated external tokens). */
export const UNKNOWN_CLIENT = "unknown";

/**
 * Blockbrain's correlation headers, as its agents send them with each request. They say which
 * agent, conversation and data room a call belongs to, so an administrator can follow one
 * conversation through the audit trail. Untrusted: the gateway keeps printable text only, cut to
 * 128 characters, and they are used for nothing but the audit trail.
 */
export const CORRELATION_HEADERS = { agentId: "x-agent-id", threadId: "x-thread-id", dataRoomId: "x-data-room-id" } as const;

export const CorrelationSchema = z.object({
  agentId: z.string().max(128).optional(),
  threadId: z.string().max(128).optional(),
  dataRoomId: z.string().max(128).optional(),
});

export type Correlation = z.infer<typeof CorrelationSchema>;

/**
 * What the gateway tells the user's agent about each request: the verified identity and the
 * scopes granted to this token. Sent with every request, never cached in the agent.
 */
export const CallerSchema = z.object({
  identity: IdentitySchema,
  scopes: z.array(z.string()),
  clientId: z.string(),
  /** Token expiry (seconds since the epoch), when known. */
  expiresAt: z.number().optional(),
  requestId: z.string(),
  /** Blockbrain's correlation headers, when the request carried them (see `CORRELATION_HEADERS`). */
  correlation: CorrelationSchema.optional(),
});

export type Caller = z.infer<typeof CallerSchema>;

/** The correlation headers of a request, cleaned; absent when it sent none. */
export function correlationOf(headers: Headers): Correlation | undefined {
  const found: Correlation = {};
  for (const [field, header] of Object.entries(CORRELATION_HEADERS) as [keyof Correlation, string][]) {
    const value = cleanText(headers.get(header), 128);
    if (value !== undefined) found[field] = value;
  }
  return Object.keys(found).length > 0 ? found : undefined;
}

/** Why a tools/call did not succeed, as the audit trail names it. */
export type ToolCallReason =
  | "tool_error"
  | "invalid_arguments"
  | "unknown_tool"
  | "unexpected_error"
  | "insufficient_scope"
  | "missing_role"
  /** A 2026-07-28 call whose `Mcp-Param-*` header is missing or disagrees with its argument (SEP-2243, -32020). */
  | "header_mismatch";

/** How one tools/call ended: what the audit trail keeps of it besides who made it. */
export interface ToolCallRecord {
  /** The tool's name; absent when the request was refused before its body was read. */
  tool?: string;
  outcome: AuditOutcome;
  reason?: ToolCallReason;
  durationMs?: number;
  /** Where the call named or found a BAG address id (see `addressIdOf`). */
  addressId?: string;
}

/**
 * Records one tools/call of the caller it was made for (the agent and the gateway make one). The
 * agent's returns nothing: its write to the object's storage is held by the output gate. The
 * Worker's returns the D1 write, which the call awaits before it answers (./answer.ts).
 */
export type ToolCallRecorder = (record: ToolCallRecord) => void | Promise<void>;

const BAG_ADDRESS_ID = /^\d{16}$/;

/**
 * The one tool argument the audit trail keeps: the BAG address id, from the `addressId` argument
 * when it is one, else from the result's `address.addressId`. Postcodes, house numbers and every other
 * argument are personal or free-form and never leave the call.
 */
export function addressIdOf(args: unknown, result?: unknown): string | undefined {
  const argument = fieldOf(args, "addressId");
  if (typeof argument === "string" && BAG_ADDRESS_ID.test(argument.trim())) return argument.trim();
  const found = fieldOf(fieldOf(result, "address"), "addressId");
  return typeof found === "string" && BAG_ADDRESS_ID.test(found) ? found : undefined;
}

function fieldOf(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

/**
 * The audit event (`mcp.tool_call`) of one tools/call by `who`. Every place that ends a call (the
 * gateway's refusals, the agent's checks before the SDK, the tool itself, a task start) builds its
 * event here, so all of them carry the same fields.
 */
export function toolCallEvent(who: Pick<Caller, "identity" | "clientId" | "requestId" | "correlation">, call: ToolCallRecord): AuditInput {
  return {
    kind: "mcp.tool_call",
    actor: "user",
    outcome: call.outcome,
    tenantId: who.identity.tenantId,
    userKey: who.identity.userKey,
    ...(who.clientId !== UNKNOWN_CLIENT && { clientId: who.clientId }),
    ...(call.reason !== undefined && { reason: call.reason }),
    details: {
      ...(call.tool !== undefined && { tool: cleanText(call.tool, 64) }),
      ...(call.durationMs !== undefined && { durationMs: Math.max(0, Math.round(call.durationMs)) }),
      requestId: who.requestId,
      ...(call.addressId !== undefined && { addressId: call.addressId }),
      ...who.correlation,
    },
  };
}
