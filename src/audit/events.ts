import { z } from "zod";

/**
 * The audit trail's one record shape. Every security-relevant thing pandgate does or refuses is an
 * `AuditEvent`: who (tenant, user key, client), what (`kind`), how it ended (`outcome`, `reason`)
 * and a few named details. The shape is closed on purpose: `details` accepts only the fields
 * listed in `AuditDetails`, so no token, code, secret, password or free-form tool argument can be
 * put in an event, by mistake or otherwise. Tool arguments are reduced to the BAG address id.
 */

/** What can happen, grouped by the part of the server it happens in (the part before the dot). */
export const AUDIT_KINDS = [
  // The consent page and the sign-in callback.
  "authorization.allowed",
  "authorization.denied",
  "authorization.rejected",
  "signin.failed",
  // The token endpoint (issue, refresh, revocation, refusals, reuse).
  "token.issued",
  "token.refreshed",
  "token.refresh_failed",
  "token.reuse_detected",
  "token.revoked",
  "token.rejected",
  // Dynamic client registration.
  "client.registered",
  "client.registration_rejected",
  // The operator API (npm run clients, npm run audit).
  "operator.client_created",
  "operator.client_deleted",
  "operator.grants_listed",
  "operator.grants_revoked",
  "operator.audit_read",
  "operator.unauthorized",
  // Rate limits, once per key and window.
  "rate_limit.exceeded",
  // Every MCP tools/call.
  "mcp.tool_call",
  // Portfolio result files fetched through their signed links, or refused.
  "portfolio.download",
  "portfolio.download_refused",
  // Portfolio spreadsheet uploads (src/uploads/): a link handed out, a file read, a file refused.
  "portfolio.upload_created",
  "portfolio.upload_received",
  "portfolio.upload_refused",
  // A portfolio job started (its id and how many addresses it holds).
  "portfolio.job_started",
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** The groups of kinds; a reader may filter by a whole group ("token") or by one kind. */
export const AUDIT_CATEGORIES = [...new Set(AUDIT_KINDS.map((kind) => kind.split(".")[0] as string))];

/**
 * - `success`: done as asked;
 * - `denied`: refused by a rule (a person declined, a tenant or scope not allowed, a reused token);
 * - `error`: refused because the request was wrong (bad arguments, unknown tool, malformed input);
 * - `failure`: something broke or was unreachable (an identity provider down, an unexpected error).
 */
export const AUDIT_OUTCOMES = ["success", "denied", "error", "failure"] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Who acted: a signed-in person, an OAuth client on its own, the operator, or the server itself. */
export const AUDIT_ACTORS = ["user", "client", "operator", "system"] as const;
export type AuditActor = (typeof AUDIT_ACTORS)[number];

/** A bounded, printable string: ids, slugs and names as sent by clients can be anything. */
const text = (max: number) => z.string().max(max);
const count = z.number().int().min(0).max(1_000_000_000);

/** The details an event may carry. Nothing else can be stored. */
export const AuditDetails = z.strictObject({
  /** Scopes granted, requested or held. */
  scopes: z.array(text(64)).max(16).optional(),
  /** How a grant's consent was given: on the consent page, or remembered for this browser and app. */
  consent: z.enum(["given", "remembered"]).optional(),
  /** The library's grant id (not a secret: it names the grant for `npm run clients -- revoke`). */
  grantId: text(64).optional(),
  /** The OAuth grant type of a token request. */
  grantType: text(64).optional(),
  /** Whether a refresh token was issued with the access token. */
  refreshToken: z.boolean().optional(),
  /** A client's name and its redirect hosts, as registered (host only: paths can carry anything). */
  clientName: text(120).optional(),
  redirectHosts: z.array(text(255)).max(10).optional(),
  /** The MCP tool called, how long the call took, and the one argument kept: the BAG address id. */
  tool: text(64).optional(),
  durationMs: count.optional(),
  addressId: z
    .string()
    .regex(/^\d{16}$/)
    .optional(),
  /** Blockbrain's correlation headers (X-Agent-ID, X-Thread-ID, X-Data-Room-ID), when sent. */
  agentId: text(128).optional(),
  threadId: text(128).optional(),
  dataRoomId: text(128).optional(),
  /** The request id the server answered with (`x-request-id`), to find the log lines. */
  requestId: text(64).optional(),
  /** The client's address (CF-Connecting-IP) for events before anyone is signed in. */
  ip: text(45).optional(),
  /** Which rate limit, or which operator route. */
  limiter: text(32).optional(),
  route: text(128).optional(),
  /** How many things an operator action touched, or an audit read returned. */
  count: count.optional(),
  /** A portfolio job, and the format of a file of it (a download). */
  jobId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/)
    .optional(),
  format: z.enum(["csv", "xlsx"]).optional(),
  /** The filter of an audit read (tenant, user, kind), without anything else. */
  filter: text(400).optional(),
  /** A portfolio upload: its id, the file's type and size, and what its rows came to (never its contents). */
  uploadId: z.uuid().optional(),
  fileKind: z.enum(["csv", "xlsx"]).optional(),
  bytes: count.optional(),
  rows: count.optional(),
  rowErrors: count.optional(),
  duplicates: count.optional(),
});
export type AuditDetails = z.infer<typeof AuditDetails>;

/** One event as it travels through the queue and is stored. */
export const AuditEventSchema = z.strictObject({
  /** Made when the event happens: the D1 primary key, so a redelivered message inserts nothing. */
  id: z.uuid(),
  /** When it happened, milliseconds since the epoch. */
  at: z.number().int().min(0),
  kind: z.enum(AUDIT_KINDS),
  outcome: z.enum(AUDIT_OUTCOMES),
  actor: z.enum(AUDIT_ACTORS),
  tenantId: text(256).optional(),
  userKey: text(256).optional(),
  clientId: text(512).optional(),
  /** A stable snake_case slug saying why, when the outcome is not success. */
  reason: z
    .string()
    .regex(/^[a-z0-9_.:-]{1,64}$/)
    .optional(),
  details: AuditDetails,
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** What code that records an event gives: the rest (id, time) is added when it is recorded. */
export type AuditInput = Omit<AuditEvent, "id" | "at" | "details"> & { details?: AuditDetails };

/** Keeps printable characters of an untrusted value, cut to `max`; nothing if nothing is left. */
export function cleanText(value: string | null | undefined, max: number): string | undefined {
  if (value === null || value === undefined) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const cleaned = value.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  return cleaned === "" ? undefined : cleaned.slice(0, max);
}

/** A reason slug from an error code or library slug (`invalid_grant`, `tenant_not_allowed`). */
export function reasonSlug(value: string | null | undefined): string | undefined {
  const cleaned = cleanText(value, 64)
    ?.toLowerCase()
    .replace(/[^a-z0-9_.:-]/g, "_");
  return cleaned === undefined || cleaned === "" ? undefined : cleaned;
}

/** The host of each redirect URI (never the path or query, which may carry anything). */
export function redirectHosts(uris: readonly unknown[]): string[] {
  const hosts = uris
    .filter((uri): uri is string => typeof uri === "string" && URL.canParse(uri))
    .map((uri) => {
      const url = new URL(uri);
      return url.host === "" ? `${url.protocol}` : url.host;
    });
  return [...new Set(hosts)].slice(0, 10);
}

/**
 * A complete event from what the caller gave, or the problem with it. Values that would not fit
 * the schema are a programming error on the recording side; the event is then not sent.
 */
export function completeEvent(input: AuditInput, now = Date.now()): { event: AuditEvent } | { problem: string } {
  const parsed = AuditEventSchema.safeParse({ ...input, details: input.details ?? {}, id: crypto.randomUUID(), at: now });
  if (parsed.success) return { event: parsed.data };
  return { problem: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ") };
}
