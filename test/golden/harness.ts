import type { Client } from "@modelcontextprotocol/client";
import { expect, vi } from "vitest";
import type { Identity } from "../../src/auth/identity";
import { catalog } from "../../src/mcp/tools";
import { connectClient, type Traffic } from "../helpers/mcp";
import { mintToken } from "../helpers/oauth";
import { missingFromText, rulesFor, vacuousLeaves } from "./parity";

/**
 * The golden answers: every tool, called through the real Worker with the
 * MCP SDK client, on a set of representative addresses. Each answer is pinned as one Markdown file
 * (the text content, every other content item the client receives, such as the `resource_link`s
 * to saved assessments, portfolio reports and property facts, and the pretty-printed structured
 * content), and each must pass the text parity check (./parity.ts).
 *
 * Determinism: the clock is frozen while the tools run (Date and performance), at FROZEN_AT
 * (2026-11-02 09:30 UTC, the day after the synthetic dataset's date) plus one minute per step of
 * a case, so every assessedAt, createdAt and audit time is fixed and every duration is 0;
 * and crypto.randomUUID gives ids derived from the call they are made in (`ids.scope`), so an
 * assessment, job, request or audit event id is the same on every run and does not move when
 * another case is added. Tokens are minted before the clock is frozen (KV refuses expiries in the
 * past). The one value neither can fix, the OAuth client id the provider library draws, is
 * replaced in the files by `<client id>`.
 */

export const FROZEN_AT = new Date("2026-11-02T09:30:00.000Z");

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0").slice(-width);

/** A UUID (version 4 layout) fixed by `scope` and the count of ids drawn in it. */
export function scopedUuid(scope: string, n: number): `${string}-${string}-${string}-${string}-${string}` {
  const a = fnv1a(scope);
  const b = fnv1a(`${scope}#${n}`);
  const c = fnv1a(`${n}#${scope}`);
  return `${hex(a, 8)}-${hex(n, 4)}-4${hex(b, 3)}-8${hex(b >>> 12, 3)}-${hex(c, 8)}${hex(b >>> 16, 4)}`;
}

/** Deterministic `crypto.randomUUID` for the rest of the file: ids drawn in the current scope. */
export function deterministicIds(): { scope(name: string): void } {
  let current = "setup";
  const counts = new Map<string, number>();
  vi.spyOn(crypto, "randomUUID").mockImplementation(() => {
    const n = (counts.get(current) ?? 0) + 1;
    counts.set(current, n);
    return scopedUuid(current, n);
  });
  return {
    scope(name: string) {
      current = name;
    },
  };
}

export function freezeClock(): void {
  vi.useFakeTimers({ toFake: ["Date", "performance"], now: FROZEN_AT });
}

export function thawClock(): void {
  vi.useRealTimers();
}

/** The fixed tenant of a case: a UUID from its slug, so cases never see each other's assessments. */
export function caseTenant(slug: string): string {
  return scopedUuid(`tenant/${slug}`, 1);
}

export interface Session {
  client: Client;
  clientId: string;
  identity: Identity;
}

/** A signed-in MCP session for `identity` (minted with the real clock). */
export async function session(identity: Identity): Promise<Session> {
  thawClock();
  const minted = await mintToken(identity, ["mcp:read", "mcp:write"]);
  const traffic: Traffic = { started: 0, inFlight: 0 };
  const client = await connectClient(minted.accessToken, "2025-11-25", {}, traffic);
  // The client sends notifications/initialized without waiting for it, and after its 202 opens
  // its GET stream on its own: each request takes ids in the Worker. Wait until the session is
  // quiet, so none of them lands in the first pinned call's scope (whose ids would shift).
  await client.ping();
  await quiet(traffic);
  return { client, clientId: minted.clientId, identity };
}

/** Waits (real time) until no request is in flight and none started for a few event-loop rounds. */
async function quiet(traffic: Traffic): Promise<void> {
  for (let round = 0; round < 2_400; round++) {
    const started = traffic.started;
    await new Promise((resolve) => setTimeout(resolve, 25));
    if (traffic.inFlight === 0 && traffic.started === started) return;
  }
  throw new Error(`the MCP session did not settle: ${traffic.inFlight} request(s) in flight`);
}

export interface GoldenCall {
  tool: string;
  args: Record<string, unknown>;
  text: string;
  /** Every content item that is not text, as the client received it, in order (e.g. `resource_link`s). */
  others: Array<Record<string, unknown>>;
  structured: unknown;
  isError: boolean;
}

/** Calls `tool` and checks its result against the tool's output schema. */
export async function call(
  s: Session,
  tool: string,
  args: Record<string, unknown>,
  options: { progress?: boolean } = {},
): Promise<GoldenCall> {
  const result = await s.client.callTool(
    { name: tool, arguments: args },
    options.progress ? { onprogress: () => {}, timeout: 120_000, resetTimeoutOnProgress: true } : undefined,
  );
  const content = result.content as Array<{ type: string; text?: string } & Record<string, unknown>>;
  const text = content
    .filter((c) => c.type === "text")
    .map((c) => c.text ?? "")
    .join("\n");
  const others = content.filter((c) => c.type !== "text");
  const isError = result.isError === true;
  if (!isError) catalog.get(tool)?.output.parse(result.structuredContent);
  return { tool, args, text, others, structured: isError ? null : result.structuredContent, isError };
}

/** The values no freezing makes stable, replaced in the pinned files (see the module comment). */
export function normalise(text: string, sessions: Session[]): string {
  let out = text;
  for (const s of sessions) out = out.split(s.clientId).join("<client id>");
  return out;
}

/** The fields of a `resource_link` in the order a reader takes them in; any other field or item follows as received. */
const LINK_FIELDS = ["type", "uri", "name", "title", "description", "mimeType"];

function orderedItem(item: Record<string, unknown>): Record<string, unknown> {
  const first = item.type === "resource_link" ? LINK_FIELDS.filter((k) => k in item) : [];
  const keys = [...first, ...Object.keys(item).filter((k) => !first.includes(k))];
  return Object.fromEntries(keys.map((k) => [k, item[k]]));
}

/**
 * The section of an answer's file that pins its non-text content (absent when there is none): each
 * item whole, in the order received, so a link added, dropped, reordered or changed in any field
 * (uri, name, title, description, mimeType) shows in the diff.
 */
function othersSection(others: GoldenCall["others"]): string[] {
  if (others.length === 0) return [];
  const links = others.filter((o) => o.type === "resource_link").length;
  const heading =
    links === others.length
      ? `Resource links (${links}, in the order received):`
      : `Other content (${others.length} items, ${links} of them resource links, in the order received):`;
  return [heading, "", "```json", JSON.stringify(others.map(orderedItem), null, 2), "```", ""];
}

/** One answer as its reviewed Markdown file. */
export function answerMarkdown(title: string, description: string, c: GoldenCall): string {
  const json = (v: unknown) => JSON.stringify(v, null, 2);
  return [
    `# ${c.tool} — ${title}`,
    "",
    description,
    "",
    "Arguments:",
    "",
    "```json",
    json(c.args),
    "```",
    "",
    c.isError ? "Text content (isError: true):" : "Text content:",
    "",
    "````text",
    c.text,
    "````",
    "",
    ...othersSection(c.others),
    ...(c.isError ? [] : ["Structured content:", "", "```json", json(c.structured), "```", ""]),
  ].join("\n");
}

/** The parity check of one answer, with the proof that it is not vacuous. */
export function expectParity(c: GoldenCall): void {
  if (c.isError) return;
  const rules = rulesFor(c.tool);
  expect.soft(missingFromText(c.structured, c.text, rules), `${c.tool}: in structuredContent but not in the text`).toEqual([]);
  expect.soft(vacuousLeaves(c.structured, c.text, rules), `${c.tool}: leaves the check passes whatever the text says`).toEqual([]);
}

/** Waits (real time) until `check` holds, asking again every 100 ms, up to `ms`. */
export async function until<T>(what: string, probe: () => Promise<T>, check: (value: T) => boolean, ms = 60_000): Promise<T> {
  // Counted, not timed: the clock is frozen while the tools run.
  for (let waited = 0; ; waited += 100) {
    const value = await probe();
    if (check(value)) return value;
    if (waited > ms) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 400)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
