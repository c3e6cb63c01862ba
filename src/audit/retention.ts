import { describeError, log } from "../log";
import { AuditStore } from "./store";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The retention sweep, run by the Worker's scheduled handler (the cron in wrangler.toml): deletes
 * audit events older than `retentionDays`. Returns how many it deleted.
 */
export async function sweepAuditEvents(db: D1Database, retentionDays: number, now = Date.now()): Promise<number> {
  try {
    const deleted = await new AuditStore(db).deleteBefore(now - retentionDays * DAY_MS);
    log("info", "audit_retention_swept", { deleted, retentionDays });
    return deleted;
  } catch (error) {
    log("error", "audit_retention_failed", { retentionDays, error: describeError(error) });
    throw error;
  }
}
