import { z } from "zod";
import { AUDIT_ACTORS, AUDIT_CATEGORIES, AUDIT_KINDS, AUDIT_OUTCOMES, AuditDetails, type AuditEvent } from "../../audit/events";
import { AuditCursorError } from "../../audit/store";
import { SCOPE_READ } from "../../auth/scopes";
import { UserError } from "../../errors";
import type { ToolSpec } from "../catalog";

/**
 * `Get_Audit_Log`: a tenant administrator reads their own organisation's audit trail through
 * MCP. The tenant is always the caller's own (from the signed-in identity, never an argument),
 * so no filter can reach another tenant's events.
 */

/** What `kind` may be: a whole group ("token") or one kind ("token.refreshed"). */
const KIND_FILTERS = [...AUDIT_KINDS, ...AUDIT_CATEGORIES];

const MAX_LIMIT = 200;

const time = (what: string) => z.iso.datetime({ offset: true }).optional().describe(`${what}.`);

const input = z.object({
  userKey: z.string().min(1).max(256).optional().describe("Only this user's events."),
  kind: z.enum(KIND_FILTERS).optional().describe('An event kind or a group (e.g. "token").'),
  from: time("From this time"),
  to: time("Before this time, after from"),
  limit: z.number().int().min(1).max(MAX_LIMIT).default(50).describe(`1–${MAX_LIMIT}.`),
  cursor: z.string().max(200).optional().describe("A previous nextCursor; same filters."),
});

const EventOut = z.object({
  id: z.string(),
  at: z.string().describe("When it happened (ISO 8601, UTC)."),
  kind: z.enum(AUDIT_KINDS),
  outcome: z.enum(AUDIT_OUTCOMES),
  actor: z.enum(AUDIT_ACTORS),
  userKey: z.string().optional(),
  clientId: z.string().optional(),
  reason: z.string().optional().describe("Why, when the outcome is not success (a snake_case slug)."),
  details: AuditDetails,
});

const output = z.object({
  tenantId: z.string(),
  events: z.array(EventOut).describe("Newest first."),
  nextCursor: z.string().optional().describe("Pass as cursor for older events."),
});

type EventOutT = z.infer<typeof EventOut>;

/** An event as the tool shows it: its time as ISO text, its tenant left out (always the caller's). */
function eventOut(event: AuditEvent): EventOutT {
  return {
    id: event.id,
    at: new Date(event.at).toISOString(),
    kind: event.kind,
    outcome: event.outcome,
    actor: event.actor,
    ...(event.userKey !== undefined && { userKey: event.userKey }),
    ...(event.clientId !== undefined && { clientId: event.clientId }),
    ...(event.reason !== undefined && { reason: event.reason }),
    details: event.details,
  };
}

/** The time range in milliseconds, or a `UserError` when it is empty. */
function timeRange(from: string | undefined, to: string | undefined): { from?: number; to?: number } {
  const range = { ...(from !== undefined && { from: Date.parse(from) }), ...(to !== undefined && { to: Date.parse(to) }) };
  if (range.from !== undefined && range.to !== undefined && range.from >= range.to) {
    throw new UserError(`"from" (${from}) must be before "to" (${to}).`);
  }
  return range;
}

/** One line per event: time, kind, outcome and reason, who, then the details as key=value. */
function renderEvent(e: EventOutT): string {
  const who = [e.userKey && `user ${e.userKey}`, e.clientId && `client ${e.clientId}`].filter(Boolean).join(", ");
  const details = Object.entries(e.details)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(",") : String(value)}`)
    .join(" ");
  const outcome = e.reason ? `${e.outcome} (${e.reason})` : e.outcome;
  return `- ${e.at} ${e.kind} ${outcome} by ${e.actor}${who ? ` (${who})` : ""}${details ? `: ${details}` : ""}`;
}

export const getAuditLog: ToolSpec<typeof input, typeof output> = {
  name: "Get_Audit_Log",
  title: "Audit log of my organisation (Admin)",
  description: "Your organisation's security audit trail, newest first, by user, kind and time. Use for security or usage questions.",
  input,
  output,
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  requiredScopes: [SCOPE_READ],
  requiredRoles: ["Admin"],
  async run({ userKey, kind, from, to, limit, cursor }, { services, caller }) {
    const tenantId = caller.identity.tenantId;
    const filter = { tenantId, ...(userKey !== undefined && { userKey }), ...(kind !== undefined && { kind }), ...timeRange(from, to) };
    try {
      const page = await services.audit.page(filter, limit, cursor);
      return { tenantId, events: page.events.map(eventOut), ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }) };
    } catch (error) {
      if (error instanceof AuditCursorError) throw new UserError(error.message);
      throw error;
    }
  },
  render(r) {
    if (r.events.length === 0) return `No audit events of tenant ${r.tenantId} match.`;
    const more = r.nextCursor ? `\nOlder events: call again with cursor ${r.nextCursor}` : "";
    return `${r.events.length} audit event(s) of tenant ${r.tenantId}, newest first:\n${r.events.map(renderEvent).join("\n")}${more}`;
  },
};
