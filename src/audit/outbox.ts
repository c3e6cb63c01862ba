import { describeError, log } from "../log";
import { type AuditEvent, AuditEventSchema, type AuditInput, completeEvent } from "./events";

/**
 * The audit outbox of one user's agent (a Durable Object): every tools/call the agent ends is
 * written here, in the object's own SQLite storage, in the same request, so the event is durable
 * before the answer that it records leaves (the Durable Object's output gate holds the answer
 * until the write is committed). The agent's alarm forwards the stored events oldest first, in
 * batches, to D1 with the idempotent insert (`ON CONFLICT (id) DO NOTHING`); a batch is deleted
 * here only after D1 took it, so a failed or interrupted send keeps it for the next try, and a
 * batch sent twice is stored once.
 */

/** Events per D1 batch (one transaction). */
export const OUTBOX_BATCH = 100;
/** How long after a first recorded event the alarm forwards: events of a burst travel together. */
export const OUTBOX_FLUSH_DELAY_MS = 1000;
/** The longest wait between two tries while D1 refuses (1 s, 2 s, 4 s, … this). */
export const OUTBOX_MAX_RETRY_MS = 5 * 60_000;

/** The wait before the next try after `failures` failed tries in a row. */
export function outboxRetryDelay(failures: number): number {
  return Math.min(OUTBOX_MAX_RETRY_MS, 1000 * 2 ** Math.max(0, failures - 1));
}

export type SendEvents = (events: readonly AuditEvent[]) => Promise<void>;

export class AuditOutbox {
  #open = false;

  constructor(private readonly sql: SqlStorage) {}

  #table(): SqlStorage {
    if (!this.#open) {
      this.sql.exec("CREATE TABLE IF NOT EXISTS audit_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL)");
      this.#open = true;
    }
    return this.sql;
  }

  /** Completes `input` (id, time), checks it against the closed schema and stores it. */
  add(input: AuditInput): AuditEvent | undefined {
    const completed = completeEvent(input);
    if ("problem" in completed) {
      log("error", "audit_event_invalid", { kind: input.kind, problem: completed.problem.slice(0, 300) });
      return undefined;
    }
    this.#table().exec("INSERT INTO audit_outbox (event) VALUES (?)", JSON.stringify(completed.event));
    return completed.event;
  }

  /** How many events wait to be forwarded. */
  size(): number {
    return this.#table().exec<{ n: number }>("SELECT count(*) AS n FROM audit_outbox").one().n;
  }

  /**
   * Sends every stored event, oldest first, `OUTBOX_BATCH` at a time, deleting each batch once
   * `send` resolved. Throws what `send` threw; the batch it was sending and every later one stay.
   * Returns how many were forwarded.
   */
  async forward(send: SendEvents): Promise<number> {
    let forwarded = 0;
    for (;;) {
      const rows = this.#table()
        .exec<{ seq: number; event: string }>("SELECT seq, event FROM audit_outbox ORDER BY seq LIMIT ?", OUTBOX_BATCH)
        .toArray();
      if (rows.length === 0) return forwarded;
      const events: AuditEvent[] = [];
      for (const row of rows) {
        const parsed = AuditEventSchema.safeParse(safeJson(row.event));
        if (parsed.success) events.push(parsed.data);
        // Only this module writes the table, so this is storage corruption: retrying cannot mend it.
        else log("error", "audit_outbox_invalid", { seq: row.seq, problem: describeError(parsed.error) });
      }
      if (events.length > 0) await send(events);
      const last = (rows.at(-1) as { seq: number }).seq;
      this.#table().exec("DELETE FROM audit_outbox WHERE seq <= ?", last);
      forwarded += events.length;
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
