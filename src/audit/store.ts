import { base64url } from "../encoding";
import { type AuditDetails, type AuditEvent, AuditEventSchema } from "./events";

/**
 * The audit trail in D1 (`audit_events`, migrations/0003). Written with one idempotent insert by
 * the Worker before it answers (./record.ts), by each agent's alarm forwarding its outbox in
 * batches (./outbox.ts), and by the queue consumer (the Worker's fallback when D1 refused);
 * read newest first with a keyset cursor, so a page stays right while new events arrive; swept
 * by the retention job.
 */

/** What a reader may narrow the trail to. `tenantId` is always set for a tenant's reader. */
export interface AuditFilter {
  tenantId?: string;
  userKey?: string;
  /** One kind (`token.refreshed`) or a whole group (`token`). */
  kind?: string;
  /** From this time (inclusive), milliseconds since the epoch. */
  from?: number;
  /** Up to this time (exclusive). */
  to?: number;
}

export interface AuditPage {
  events: AuditEvent[];
  /** Give it back to read the next (older) page; absent on the last page. */
  nextCursor?: string;
}

interface Row {
  id: string;
  occurred_at: number;
  kind: string;
  outcome: string;
  actor: string;
  tenant_id: string | null;
  user_key: string | null;
  client_id: string | null;
  reason: string | null;
  details: string;
}

/** The position after which a page continues: the last event's time and id. */
interface Cursor {
  at: number;
  id: string;
}

export class AuditCursorError extends Error {
  override name = "AuditCursorError";
}

export function encodeCursor(cursor: Cursor): string {
  return base64url(new TextEncoder().encode(`${cursor.at}.${cursor.id}`));
}

export function decodeCursor(value: string): Cursor {
  let decoded = "";
  try {
    const binary = atob(value.replace(/-/g, "+").replace(/_/g, "/"));
    decoded = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    throw new AuditCursorError("The cursor is not one this server gave out; start again without it.");
  }
  const match = /^(\d{1,16})\.([0-9a-f-]{36})$/.exec(decoded);
  if (!match) throw new AuditCursorError("The cursor is not one this server gave out; start again without it.");
  return { at: Number(match[1]), id: match[2] as string };
}

function fromRow(row: Row): AuditEvent {
  const details = JSON.parse(row.details) as AuditDetails;
  return AuditEventSchema.parse({
    id: row.id,
    at: row.occurred_at,
    kind: row.kind,
    outcome: row.outcome,
    actor: row.actor,
    ...(row.tenant_id !== null && { tenantId: row.tenant_id }),
    ...(row.user_key !== null && { userKey: row.user_key }),
    ...(row.client_id !== null && { clientId: row.client_id }),
    ...(row.reason !== null && { reason: row.reason }),
    details,
  });
}

/** Rows deleted per statement by the retention sweep, so one statement stays well within D1's limits. */
const SWEEP_CHUNK = 5000;

export class AuditStore {
  constructor(private readonly db: D1Database) {}

  /**
   * Writes events in one D1 batch (one transaction). An event already stored (a redelivery) is
   * skipped by its id, so retrying a batch never stores anything twice.
   */
  async insert(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const statement = this.db.prepare(
      `INSERT INTO audit_events (id, occurred_at, kind, outcome, actor, tenant_id, user_key, client_id, reason, details)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    await this.db.batch(
      events.map((e) =>
        statement.bind(
          e.id,
          e.at,
          e.kind,
          e.outcome,
          e.actor,
          e.tenantId ?? null,
          e.userKey ?? null,
          e.clientId ?? null,
          e.reason ?? null,
          JSON.stringify(e.details),
        ),
      ),
    );
  }

  /** One page of events matching `filter`, newest first. */
  async page(filter: AuditFilter, limit: number, cursor?: string): Promise<AuditPage> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.tenantId !== undefined) {
      where.push("tenant_id = ?");
      params.push(filter.tenantId);
    }
    if (filter.userKey !== undefined) {
      where.push("user_key = ?");
      params.push(filter.userKey);
    }
    if (filter.kind !== undefined) {
      if (filter.kind.includes(".")) {
        where.push("kind = ?");
        params.push(filter.kind);
      } else {
        // A group: its kinds are "<group>.<name>"; the range keeps the index usable.
        where.push("kind >= ? AND kind < ?");
        params.push(`${filter.kind}.`, `${filter.kind}/`);
      }
    }
    if (filter.from !== undefined) {
      where.push("occurred_at >= ?");
      params.push(filter.from);
    }
    if (filter.to !== undefined) {
      where.push("occurred_at < ?");
      params.push(filter.to);
    }
    if (cursor !== undefined) {
      const after = decodeCursor(cursor);
      where.push("(occurred_at, id) < (?, ?)");
      params.push(after.at, after.id);
    }
    const sql = `SELECT id, occurred_at, kind, outcome, actor, tenant_id, user_key, client_id, reason, details FROM audit_events
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY occurred_at DESC, id DESC LIMIT ?`;
    const { results } = await this.db
      .prepare(sql)
      .bind(...params, limit + 1)
      .all<Row>();
    const events = results.slice(0, limit).map(fromRow);
    const last = events.at(-1);
    return { events, ...(results.length > limit && last && { nextCursor: encodeCursor({ at: last.at, id: last.id }) }) };
  }

  /** Deletes events older than `before` (milliseconds since the epoch); returns how many. */
  async deleteBefore(before: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const result = await this.db
        .prepare("DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE occurred_at < ? ORDER BY occurred_at LIMIT ?)")
        .bind(before, SWEEP_CHUNK)
        .run();
      const changes = result.meta.changes ?? 0;
      deleted += changes;
      if (changes < SWEEP_CHUNK) return deleted;
    }
  }
}
