import { waitUntil } from "cloudflare:workers";
import { describeError, log } from "../log";
import { type AuditEvent, type AuditInput, completeEvent } from "./events";

/**
 * Recording an audit event: it is completed (id, time), checked against the closed schema, and
 * sent to the AUDIT_QUEUE, whose consumer writes it to D1 (./consumer.ts). The send runs after
 * the answer, under `waitUntil`, so no request waits on the audit trail, and a failing queue
 * never fails the request: the event is then logged as lost, with its id and kind only.
 */
export interface AuditBindings {
  AUDIT_QUEUE?: Queue<AuditEvent>;
}

export function recordAudit(env: AuditBindings, input: AuditInput): void {
  const completed = completeEvent(input);
  if ("problem" in completed) {
    log("error", "audit_event_invalid", { kind: input.kind, problem: completed.problem.slice(0, 300) });
    return;
  }
  const { event } = completed;
  const queue = env.AUDIT_QUEUE;
  if (!queue) {
    log("error", "audit_event_lost", { kind: event.kind, eventId: event.id, error: "no AUDIT_QUEUE binding" });
    return;
  }
  waitUntil(
    queue.send(event, { contentType: "json" }).catch((error: unknown) => {
      log("error", "audit_event_lost", { kind: event.kind, eventId: event.id, error: describeError(error) });
    }),
  );
}

/** The client address of a request, as Cloudflare reports it (absent in local tests). */
export function clientAddress(request: Request): string | undefined {
  const ip = request.headers.get("cf-connecting-ip")?.trim();
  return ip && ip.length <= 45 ? ip : undefined;
}
