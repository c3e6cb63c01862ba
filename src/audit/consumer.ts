import { describeError, log } from "../log";
import { AuditEventSchema } from "./events";
import { AuditStore } from "./store";

/**
 * The AUDIT_QUEUE consumer: each batch of events is written to D1 in one transaction. The Worker
 * sends an event here only when its direct D1 write failed (./record.ts), so the queue is the
 * retry path for the Worker's events. When D1
 * fails, every message of the batch is retried later with a growing delay (1 s, 2 s, 4 s … up to
 * five minutes; `max_retries` in wrangler.toml bounds the attempts, about an hour in all), and
 * since an event's id is its primary key, a retried or redelivered event is stored once. A
 * message that is not an audit event is dropped at once with a log line (retrying cannot mend it).
 */

/** The longest wait between two attempts, in seconds. */
export const MAX_RETRY_DELAY_S = 300;

/** The wait before the next attempt of a message that has been tried `attempts` times. */
export function retryDelay(attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_S, 2 ** Math.max(0, attempts - 1));
}

export async function consumeAuditBatch(batch: MessageBatch<unknown>, db: D1Database): Promise<void> {
  const accepted: { message: Message<unknown>; event: ReturnType<typeof AuditEventSchema.parse> }[] = [];
  for (const message of batch.messages) {
    const parsed = AuditEventSchema.safeParse(message.body);
    if (parsed.success) {
      accepted.push({ message, event: parsed.data });
    } else {
      log("error", "audit_message_invalid", { queue: batch.queue, messageId: message.id });
      message.ack();
    }
  }
  if (accepted.length === 0) return;
  try {
    await new AuditStore(db).insert(accepted.map((a) => a.event));
  } catch (error) {
    const attempts = Math.max(...accepted.map((a) => a.message.attempts));
    log("error", "audit_write_failed", { queue: batch.queue, events: accepted.length, attempts, error: describeError(error) });
    for (const { message } of accepted) message.retry({ delaySeconds: retryDelay(message.attempts) });
    return;
  }
  for (const { message } of accepted) message.ack();
}
