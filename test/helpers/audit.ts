import { env } from "cloudflare:workers";
import type { AuditEvent } from "../../src/audit/events";
import { type AuditFilter, AuditStore } from "../../src/audit/store";

/**
 * The audit trail as the tests read it: events reach D1 through the real AUDIT_QUEUE and its
 * consumer (wrangler.toml; the local queue delivers within its 2-second batch timeout), so a test
 * waits for what it expects instead of reading at once.
 */

/** Every stored event matching `filter`, newest first. */
export async function auditEvents(filter: AuditFilter = {}): Promise<AuditEvent[]> {
  const store = new AuditStore(env.DB);
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.page(filter, 200, cursor);
    events.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

/**
 * Waits until the events matching `filter` satisfy `until` (by default: at least one), and returns
 * them; after `timeoutMs` returns what there is, for the test's own assertion to explain. The
 * deadline is generous (a loaded machine delays the queue's batches) and costs nothing when the
 * events come: it returns as soon as they are there.
 */
export async function waitForAudit(
  filter: AuditFilter,
  until: (events: AuditEvent[]) => boolean = (events) => events.length > 0,
  timeoutMs = 30_000,
): Promise<AuditEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await auditEvents(filter);
    if (until(events) || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every stored event's JSON, for checking that no secret was ever written. */
export async function allAuditText(): Promise<string> {
  const { results } = await env.DB.prepare("SELECT * FROM audit_events").all();
  return JSON.stringify(results);
}
