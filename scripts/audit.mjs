// `npm run audit -- [options]`: read the audit trail through the Worker's operator API
// (GET /admin/audit). Works against `wrangler dev` and a deployed Worker alike.
//
//   npm run audit                                        the newest 100 events, as a table
//   npm run audit -- --tenant <tenant-id> --since 7d     one tenant's last week
//   npm run audit -- --user <user-key> --kind token      one user's token events
//   npm run audit -- --since 24h --all --json            the last day, JSON Lines (for a SIEM)
//
// Options: --url <worker origin> (default $PANDGATE_URL or http://localhost:8787).
// The operator secret comes from $OPERATOR_SECRET; it is never taken from the command line.
// Exit codes: 0 done, 1 the Worker could not be reached or refused the secret, 2 wrong usage.
// The Worker checks --tenant, --user, --kind and --limit itself, so its rules live in one place.
import { parseArgs } from "node:util";

const USAGE = `usage: npm run audit -- [--tenant <tenant-id>] [--user <user-key>] [--kind <kind or group>]
                      [--since <when>] [--until <when>] [--limit <n>] [--all] [--json] [--url <origin>]
  --tenant  one tenant's events (an Entra tenant id, or the issuer URL of a provider without tenants)
  --user    one user's events (entra.<tenant id>.<object id>, or b2c.…, external-id.…, oidc.…)
  --kind    a group (token, mcp, operator, …) or one kind (token.refreshed); a wrong one is answered with the list
  --since   from this time on: a duration back from now (30m, 24h, 7d, 2w) or an ISO 8601 time
  --until   before this time (same forms); a time without a zone is this machine's local time
  --limit   events per request, 1–500 (default 100; 500 with --all)
  --all     follow the pages to the oldest matching event (by default only the newest page)
  --json    one JSON object per event and line (JSON Lines), e.g. for a SIEM
Events are shown newest first. Reading the trail is itself recorded in it (operator.audit_read).
Set OPERATOR_SECRET in the environment (the Worker's OPERATOR_SECRET).`;

/** Wrong usage: say what, show the usage, exit 2. */
function fail(message) {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

/** Something outside the command line went wrong (unreachable, refused): exit 1. */
function abort(message) {
  console.error(message);
  process.exit(1);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      tenant: { type: "string" },
      user: { type: "string" },
      kind: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      limit: { type: "string" },
      all: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      url: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (error) {
  fail(error.message);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const origin = (values.url ?? process.env.PANDGATE_URL ?? "http://localhost:8787").replace(/\/$/, "");
const secret = process.env.OPERATOR_SECRET;
if (!secret) fail("OPERATOR_SECRET is not set.");

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`/`--until` as the ISO 8601 time the Worker takes: a duration back from now, or a time. */
function parseWhen(option, value, now) {
  const relative = /^(\d{1,6})([mhdw])$/.exec(value);
  if (relative) return new Date(now - Number(relative[1]) * UNIT_MS[relative[2]]).toISOString();
  // Date.parse alone would also take "5" or "May"; a time starts with its date.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  fail(
    `--${option} takes a duration back from now (30m, 24h, 7d, 2w) or an ISO 8601 time (2026-11-29T08:00:00Z), not ${JSON.stringify(value)}.`,
  );
}

const now = Date.now();
const query = new URLSearchParams();
if (values.tenant !== undefined) query.set("tenant", values.tenant);
if (values.user !== undefined) query.set("user", values.user);
if (values.kind !== undefined) query.set("kind", values.kind);
if (values.since !== undefined) query.set("from", parseWhen("since", values.since, now));
if (values.until !== undefined) query.set("to", parseWhen("until", values.until, now));
query.set("limit", values.limit ?? (values.all ? "500" : "100"));

/** The Worker's parameter names, as this command's options (its messages start with the parameter). */
const OPTION_OF = {
  tenant: "--tenant",
  user: "--user",
  kind: "--kind",
  from: "--since",
  to: "--until",
  limit: "--limit",
  cursor: "cursor",
};
const inOptionTerms = (message) =>
  message.replace(/(^|; )(tenant|user|kind|from|to|limit|cursor): /g, (_, sep, name) => `${sep}${OPTION_OF[name]}: `);

/** One page of `GET /admin/audit`; exits with a clear message on anything but a page. */
async function readPage(cursor) {
  const params = new URLSearchParams(query);
  if (cursor) params.set("cursor", cursor);
  let res;
  try {
    res = await fetch(`${origin}/admin/audit?${params}`, { headers: { authorization: `Bearer ${secret}` } });
  } catch {
    abort(`Could not reach ${origin}. Is the Worker running (npm run dev), or is --url right?`);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // hono's refusals of the Authorization header are plain text.
  }
  if (res.status === 401) abort("The Worker refused the operator secret (401): OPERATOR_SECRET does not match the Worker's.");
  if (res.status === 400 && data?.error === "invalid_request") fail(`The Worker refused the query: ${inOptionTerms(data.message)}`);
  if (res.status === 400)
    abort("The Worker refused the Authorization header (400): OPERATOR_SECRET holds characters a bearer token cannot carry.");
  if (!res.ok || !Array.isArray(data?.events)) abort(`GET /admin/audit failed (${res.status}): ${data?.message ?? text.slice(0, 300)}`);
  return data;
}

/** A detail value on one line: plain when it is one word, quoted when it has spaces. */
function detailValue(value) {
  const text = Array.isArray(value) ? value.join(",") : String(value);
  return /^[^\s"]*$/.test(text) && text !== "" ? text : JSON.stringify(text);
}

/** The table's cells for one event; the details stay last, as `key=value` pairs. */
function row(event) {
  return [
    event.at.replace("T", " ").replace(/\.\d{3}Z$/, "Z"),
    event.kind,
    event.outcome,
    event.reason ?? "-",
    event.tenantId ?? "-",
    event.userKey ?? "-",
    event.clientId ?? "-",
    Object.entries(event.details)
      .map(([key, value]) => `${key}=${detailValue(value)}`)
      .join(" ") || "-",
  ];
}

function printTable(events) {
  const rows = [["TIME", "KIND", "OUTCOME", "REASON", "TENANT", "USER", "CLIENT", "DETAILS"], ...events.map(row)];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((cells) => cells[column].length)));
  for (const cells of rows) {
    console.log(cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join("  "));
  }
}

// Pages come newest first, each older than the last, so printing them in order keeps the order.
const shown = [];
let cursor;
do {
  const page = await readPage(cursor);
  if (values.json) for (const event of page.events) console.log(JSON.stringify(event));
  else shown.push(...page.events);
  cursor = values.all ? page.nextCursor : undefined;
  if (!values.all && page.nextCursor) {
    console.error(`More events match than the ${page.events.length} shown: add --all, narrow the filter, or raise --limit.`);
  }
} while (cursor);
if (!values.json) {
  if (shown.length === 0) console.log("No events match.");
  else printTable(shown);
}
