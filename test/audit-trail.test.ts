import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { consumeAuditBatch, retryDelay } from "../src/audit/consumer";
import { type AuditEvent, type AuditInput, completeEvent } from "../src/audit/events";
import { AuditStore } from "../src/audit/store";
import { ConfigError, parseConfig } from "../src/config";
import { createWorker } from "../src/oauth";
import wranglerToml from "../wrangler.toml?raw";
import { config } from "./helpers/oauth";

/**
 * The audit trail's plumbing, with the real queue, consumer and D1 of wrangler.toml: events sent
 * to AUDIT_QUEUE arrive in D1 once each, also across a D1 outage; the consumer retries a batch it
 * could not write; the retention sweep deletes what is older than the setting.
 */

afterEach(() => vi.restoreAllMocks());

const DAY_MS = 24 * 60 * 60 * 1000;

function event(input: Partial<AuditInput> = {}, at?: number): AuditEvent {
  const made = completeEvent({ kind: "operator.grants_listed", outcome: "success", actor: "operator", ...input }, at);
  if ("problem" in made) throw new Error(made.problem);
  return made.event;
}

async function storedIds(ids: string[]): Promise<string[]> {
  const { results } = await env.DB.prepare(`SELECT id FROM audit_events WHERE id IN (${ids.map(() => "?").join(",")})`)
    .bind(...ids)
    .all<{ id: string }>();
  return results.map((row) => row.id).sort();
}

/** Polls D1 until every id is stored (the local queue delivers within its batch timeout). */
async function arrived(ids: string[], timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let found: string[] = [];
  while (Date.now() < deadline) {
    found = await storedIds(ids);
    if (found.length === ids.length) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return found;
}

describe("events", () => {
  it("keep only the fields the schema names: anything else is refused before it is sent", () => {
    const sneaky = completeEvent({
      kind: "token.issued",
      outcome: "success",
      actor: "client",
      details: { grantId: "g1", accessToken: "secret-token" } as never,
    });
    expect("problem" in sneaky && sneaky.problem).toContain("accessToken");
    expect("problem" in completeEvent({ kind: "token.stolen" as never, outcome: "success", actor: "client" })).toBe(true);
    expect(
      "problem" in completeEvent({ kind: "mcp.tool_call", outcome: "success", actor: "user", details: { addressId: "3815DT 20" } }),
    ).toBe(true);
    expect(
      "event" in completeEvent({ kind: "mcp.tool_call", outcome: "success", actor: "user", details: { addressId: "0307200000466386" } }),
    ).toBe(true);
  });
});

describe("the queue and its consumer", () => {
  it("delivers events sent to AUDIT_QUEUE into D1", async () => {
    const sent = [event(), event({ kind: "token.revoked", actor: "client", clientId: "c1" })];
    await env.AUDIT_QUEUE.sendBatch(sent.map((body) => ({ body })));
    const ids = sent.map((e) => e.id).sort();
    expect(await arrived(ids)).toEqual(ids);
    const page = await new AuditStore(env.DB).page({ kind: "token" }, 10);
    expect(page.events.find((e) => e.id === sent[1]?.id)).toEqual(sent[1]);
  });

  it("retries a batch it cannot write, with a growing delay, and acknowledges it once written", async () => {
    const worker = createWorker(config);
    const messages = [event(), event()].map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 3, body }));
    await env.DB.exec("ALTER TABLE audit_events RENAME TO audit_events_offline");
    try {
      const batch = createMessageBatch("pandgate-audit", messages);
      const retries = batch.messages.map((message) => vi.spyOn(message, "retry"));
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m0", "m1"]);
      // Third attempt: wait 4 seconds (1, 2, 4, … up to 300).
      for (const retry of retries) expect(retry).toHaveBeenCalledWith({ delaySeconds: 4 });
    } finally {
      await env.DB.exec("ALTER TABLE audit_events_offline RENAME TO audit_events");
    }
    const batch = createMessageBatch("pandgate-audit", messages);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1"]);
    expect(result.retryMessages).toEqual([]);
    expect(retryDelay(1)).toBe(1);
    expect(retryDelay(30)).toBe(300);
  });

  it("loses nothing while D1 fails: events sent during the outage arrive once it recovers, none twice", { timeout: 150_000 }, async () => {
    const failures = vi.spyOn(console, "error");
    await env.DB.exec("ALTER TABLE audit_events RENAME TO audit_events_offline");
    const sent = [event(), event(), event()];
    const ids = sent.map((e) => e.id).sort();
    try {
      await env.AUDIT_QUEUE.sendBatch(sent.map((body) => ({ body })));
      // Wait until the consumer has tried and failed at least once.
      const deadline = Date.now() + 30_000;
      while (!failures.mock.calls.some(([line]) => String(line).includes('"audit_write_failed"')) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(failures.mock.calls.some(([line]) => String(line).includes('"audit_write_failed"'))).toBe(true);
    } finally {
      await env.DB.exec("ALTER TABLE audit_events_offline RENAME TO audit_events");
    }
    expect(await arrived(ids)).toEqual(ids);
    // A redelivery of the same events (the queue delivers at least once) stores nothing more.
    await env.AUDIT_QUEUE.sendBatch(sent.map((body) => ({ body })));
    const marker = event();
    await env.AUDIT_QUEUE.send(marker);
    expect(await arrived([marker.id])).toEqual([marker.id]);
    const { results } = await env.DB.prepare(
      `SELECT id, count(*) AS n FROM audit_events WHERE id IN (${ids.map(() => "?").join(",")}) GROUP BY id`,
    )
      .bind(...ids)
      .all<{ id: string; n: number }>();
    expect(results.map((row) => row.n)).toEqual([1, 1, 1]);
  });

  it("drops a message that is not an audit event instead of retrying it forever", async () => {
    const worker = createWorker(config);
    const good = event();
    const batch = createMessageBatch("pandgate-audit", [
      { id: "bad", timestamp: new Date(), attempts: 1, body: { kind: "token.issued", accessToken: "x" } as unknown as AuditEvent },
      { id: "good", timestamp: new Date(), attempts: 1, body: good },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["bad", "good"]);
    expect(await storedIds([good.id])).toEqual([good.id]);
  });

  it("is the consumer wrangler.toml declares for the queue the Worker sends to", () => {
    expect(wranglerToml).toMatch(/\[\[queues\.producers\]\]\s*binding = "AUDIT_QUEUE"\s*queue = "pandgate-audit"/);
    expect(wranglerToml).toMatch(/\[\[queues\.consumers\]\]\s*queue = "pandgate-audit"/);
    expect(consumeAuditBatch).toBeTypeOf("function");
  });
});

describe("retention", () => {
  it("the daily cron deletes events older than AUDIT_RETENTION_DAYS and keeps the rest", async () => {
    const now = Date.now();
    const old = [event({}, now - 400 * DAY_MS), event({}, now - 366 * DAY_MS)];
    const kept = [event({}, now - 364 * DAY_MS), event({}, now - DAY_MS)];
    await new AuditStore(env.DB).insert([...old, ...kept]);
    const worker = createWorker({ ...config, auditRetentionDays: 365 });
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: now, cron: "17 3 * * *" }), env, ctx);
    expect(await storedIds([...old, ...kept].map((e) => e.id))).toEqual(kept.map((e) => e.id).sort());
    expect(wranglerToml).toMatch(/crons = \["17 3 \* \* \*"\]/);
  });

  it("is a setting: 365 days unless set, refused when it is not a whole number of days", () => {
    expect(parseConfig({ PUBLIC_URL: "https://x.example" }).auditRetentionDays).toBe(365);
    expect(parseConfig({ PUBLIC_URL: "https://x.example", AUDIT_RETENTION_DAYS: "30" }).auditRetentionDays).toBe(30);
    for (const wrong of ["0", "ten", "4000", "1.5"]) {
      expect(() => parseConfig({ PUBLIC_URL: "https://x.example", AUDIT_RETENTION_DAYS: wrong })).toThrow(ConfigError);
      expect(() => parseConfig({ PUBLIC_URL: "https://x.example", AUDIT_RETENTION_DAYS: wrong })).toThrow(
        "AUDIT_RETENTION_DAYS must be a whole number from 1 to 3650",
      );
    }
  });
});
