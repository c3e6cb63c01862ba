import { z } from "zod";
import { AUDIT_CATEGORIES, AUDIT_KINDS, type AuditEvent } from "../audit/events";
import { AuditCursorError, type AuditFilter, decodeCursor } from "../audit/store";
import { isUuid } from "../domain/ids";
import { parseUserKey, USER_KEY_HELP } from "./user-key";

/*
 * The query of `GET /admin/audit`, apart from the route: every parameter is checked (and every
 * problem named) before anything is read, and the filter is described back for the
 * `operator.audit_read` event. Kept out of ./admin.ts, which holds the operator routes.
 */

/** The parameters `GET /admin/audit` takes; any other name is refused, so a typo never widens a read. */
const AUDIT_PARAMETERS = ["tenant", "user", "kind", "from", "to", "limit", "cursor"] as const;
type AuditParameter = (typeof AUDIT_PARAMETERS)[number];
const AUDIT_DEFAULT_LIMIT = 100;
const AUDIT_MAX_LIMIT = 500;

/** A parameter's value, or what is wrong with it (the parameter's name is added by the caller). */
type Read<T> = { value: T } | { problem: string };

/** A value quoted for an error message, cut short: whatever was sent is echoed, but not at length. */
const quote = (raw: string) => JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);

/** Stored tenant ids are lowercase: an Entra tenant GUID, or the issuer URL for providers without tenants. */
function readTenant(raw: string): Read<string> {
  const value = raw.trim().toLowerCase();
  if (isUuid(value) || (value.length <= 256 && /^https?:\/\/\S+$/.test(value) && URL.canParse(value))) return { value };
  return {
    problem: `${quote(raw)} is not a tenant id; expected an Entra tenant id (a GUID such as 3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11), or the issuer URL of an identity provider without tenants`,
  };
}

function readUser(raw: string): Read<string> {
  const value = parseUserKey(raw);
  return value ? { value } : { problem: `${quote(raw)} is not a user key. ${USER_KEY_HELP}` };
}

function readKind(raw: string): Read<string> {
  if ((AUDIT_KINDS as readonly string[]).includes(raw) || AUDIT_CATEGORIES.includes(raw)) return { value: raw };
  return {
    problem: `${quote(raw)} is neither an event kind nor a group; expected a group (${AUDIT_CATEGORIES.join(", ")}) or a kind (${AUDIT_KINDS.join(", ")})`,
  };
}

/** A time zone is required: a time without one would mean a different moment on every machine. */
const IsoDateTime = z.iso.datetime({ offset: true });

function readTime(raw: string): Read<number> {
  const value = IsoDateTime.safeParse(raw).success ? Date.parse(raw) : Number.NaN;
  if (!Number.isNaN(value)) return { value };
  return {
    problem: `${quote(raw)} is not a date-time; expected ISO 8601 with a time zone, such as 2026-11-29T08:00:00Z or 2026-11-29T09:00:00+01:00`,
  };
}

function readLimit(raw: string): Read<number> {
  const value = /^\d{1,3}$/.test(raw) ? Number(raw) : 0;
  return value >= 1 && value <= AUDIT_MAX_LIMIT
    ? { value }
    : {
        problem: `${quote(raw)} is not a page size; expected a whole number from 1 to ${AUDIT_MAX_LIMIT} (default ${AUDIT_DEFAULT_LIMIT})`,
      };
}

/** Checked here, before anything is read: the store would only find out halfway. */
function readCursor(raw: string): Read<string> {
  try {
    decodeCursor(raw);
    return { value: raw };
  } catch (error) {
    if (error instanceof AuditCursorError) return { problem: `${error.message} (give back the nextCursor of the previous answer)` };
    throw error;
  }
}

export interface AuditQuery {
  filter: AuditFilter;
  limit: number;
  cursor?: string;
}

/** The query of `GET /admin/audit`, or every problem with it, each naming its parameter. */
export function parseAuditQuery(params: URLSearchParams): { query: AuditQuery } | { problem: string } {
  const problems: string[] = [];
  for (const name of new Set(params.keys())) {
    if (!(AUDIT_PARAMETERS as readonly string[]).includes(name)) {
      problems.push(`${quote(name)} is not a parameter of GET /admin/audit; it takes ${AUDIT_PARAMETERS.join(", ")}`);
    }
  }
  function read<T>(name: AuditParameter, reader: (raw: string) => Read<T>): T | undefined {
    const given = params.getAll(name);
    if (given.length === 0) return undefined;
    if (given.length > 1) {
      problems.push(`${name}: given ${given.length} times; give it once`);
      return undefined;
    }
    const result = reader(given[0] ?? "");
    if ("problem" in result) problems.push(`${name}: ${result.problem}`);
    return "value" in result ? result.value : undefined;
  }
  const tenantId = read("tenant", readTenant);
  const userKey = read("user", readUser);
  const kind = read("kind", readKind);
  const from = read("from", readTime);
  const to = read("to", readTime);
  const limit = read("limit", readLimit) ?? AUDIT_DEFAULT_LIMIT;
  const cursor = read("cursor", readCursor);
  if (from !== undefined && to !== undefined && from >= to) problems.push("to: must be later than from (from is inclusive, to exclusive)");
  if (problems.length > 0) return { problem: problems.join("; ") };
  const filter: AuditFilter = {
    ...(tenantId !== undefined && { tenantId }),
    ...(userKey !== undefined && { userKey }),
    ...(kind !== undefined && { kind }),
    ...(from !== undefined && { from }),
    ...(to !== undefined && { to }),
  };
  return { query: { filter, limit, ...(cursor !== undefined && { cursor }) } };
}

/** The filter of an audit read as the `operator.audit_read` event keeps it (`details.filter`). */
export function describeFilter(filter: AuditFilter): string {
  const parts = [
    filter.tenantId !== undefined && `tenant=${filter.tenantId}`,
    filter.userKey !== undefined && `user=${filter.userKey}`,
    filter.kind !== undefined && `kind=${filter.kind}`,
    filter.from !== undefined && `from=${new Date(filter.from).toISOString()}`,
    filter.to !== undefined && `to=${new Date(filter.to).toISOString()}`,
  ].filter((part): part is string => typeof part === "string");
  return (parts.join(" ") || "none").slice(0, 400);
}

/** An event as the operator API shows it: the time in ISO 8601, everything else as stored. */
export const describeEvent = (event: AuditEvent) => ({ ...event, at: new Date(event.at).toISOString() });
