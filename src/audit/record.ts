import { waitUntil } from "cloudflare:workers";
import { AsyncLocalStorage } from "node:async_hooks";
import { describeError, log } from "../log";
import { type AuditEvent, type AuditInput, completeEvent } from "./events";
import { AuditStore } from "./store";

/**
 * Recording an audit event in the Worker (sign-in, consent, tokens, registration, the operator
 * API, rate limits, the gateway's refusals of a tools/call). The event is completed (id, time),
 * checked against the closed schema, and written straight into D1 (`audit_events`, the same
 * idempotent insert the queue consumer uses). Inside a request the Worker runs in an audit scope
 * (`withAuditScope`, src/oauth.ts), which waits for every write recorded during the request
 * before the answer leaves: an answered request's event is stored, whatever happens to the
 * process next. When D1 refuses the write, the event goes to AUDIT_QUEUE instead (also awaited),
 * whose consumer retries into D1 with a growing delay; only when both fail is it logged as lost
 * (with its id and kind only). A failing audit trail never fails the request.
 *
 * Tool calls that reach the user's agent are not recorded here: the agent keeps them in its own
 * storage and forwards them in batches (./outbox.ts, src/mcp/agent.ts). Tool calls the Worker
 * serves itself (src/mcp/gateway.ts, `servedInWorker`) are: each call waits for its write before
 * it hands its result to the SDK.
 */
export interface AuditBindings {
  DB?: D1Database;
  AUDIT_QUEUE?: Queue<AuditEvent>;
}

/** The writes recorded during the current request, awaited before its answer leaves. */
const scope = new AsyncLocalStorage<Promise<void>[]>();

/**
 * Records `input`; the write is also returned (it never rejects), for a caller that must wait for
 * it sooner than the end of the request (a tools/call the Worker serves, src/mcp/answer.ts).
 */
export function recordAudit(env: AuditBindings, input: AuditInput): Promise<void> {
  const completed = completeEvent(input);
  if ("problem" in completed) {
    log("error", "audit_event_invalid", { kind: input.kind, problem: completed.problem.slice(0, 300) });
    return Promise.resolve();
  }
  const write = storeAuditEvent(env, completed.event);
  const pending = scope.getStore();
  if (pending) pending.push(write);
  else waitUntil(write);
  return write;
}

/** D1 first; the queue when D1 refuses; a log line when both do. Never rejects. */
export async function storeAuditEvent(env: AuditBindings, event: AuditEvent): Promise<void> {
  let d1Error: unknown = new Error("no DB binding");
  if (env.DB) {
    try {
      await new AuditStore(env.DB).insert([event]);
      return;
    } catch (error) {
      d1Error = error;
    }
  }
  const queue = env.AUDIT_QUEUE;
  if (queue) {
    try {
      await queue.send(event, { contentType: "json" });
      log("warn", "audit_event_queued", { kind: event.kind, eventId: event.id, error: describeError(d1Error) });
      return;
    } catch (error) {
      log("error", "audit_event_lost", { kind: event.kind, eventId: event.id, error: describeError(error) });
      return;
    }
  }
  log("error", "audit_event_lost", { kind: event.kind, eventId: event.id, error: describeError(d1Error) });
}

/**
 * Runs `handle` (one request) in an audit scope: the answer is returned only after every audit
 * event recorded while handling it has been stored.
 */
export async function withAuditScope<T>(handle: () => Promise<T>): Promise<T> {
  const pending: Promise<void>[] = [];
  try {
    return await scope.run(pending, handle);
  } finally {
    // The writes never reject (storeAuditEvent); a late one recorded while waiting is waited for too.
    for (let done = 0; done < pending.length; done = pending.length) await Promise.all(pending.slice(done));
  }
}

/** The client address of a request, as Cloudflare reports it (absent in local tests). */
export function clientAddress(request: Request): string | undefined {
  const ip = request.headers.get("cf-connecting-ip")?.trim();
  return ip && ip.length <= 45 ? ip : undefined;
}
